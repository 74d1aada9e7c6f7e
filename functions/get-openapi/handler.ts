import { openApiDocument } from '../../shared/api/openapi';
import { apiHandler, json } from '../../shared/http/api-handler';

export const handler = apiHandler({
  operation: 'getOpenapi',
  handle: async () => json(200, openApiDocument(), { 'cache-control': 'public, max-age=300' }),
});
