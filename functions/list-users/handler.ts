import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { UserStore } from '../../shared/ports/stores';

export const makeHandler = (users: UserStore) =>
  apiHandler({
    operation: 'listUsers',
    query: ListQuery,
    handle: async ({ path, query }) => json(200, await users.list(path.orgId, query)),
  });

export const handler = makeHandler(adapters.userStore());
