import { openApiDocument } from '../../shared/api/openapi';
import { apiHandler, json } from '../../shared/http/api-handler';
import { PROVIDERS } from '../../shared/providers';

export const handler = apiHandler({
  operation: 'getOpenapi',
  handle: async () => json(200, openApiDocument(PROVIDERS), { 'cache-control': 'public, max-age=300' }),
});
