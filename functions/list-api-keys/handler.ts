import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { ApiKeyStore } from '../../shared/ports/stores';

export const makeHandler = (keys: ApiKeyStore) =>
  apiHandler({
    operation: 'listApiKeys',
    query: ListQuery,
    handle: async ({ path, query }) => json(200, await keys.list(path.orgId, query)),
  });

export const handler = makeHandler(adapters.apiKeyStore());
