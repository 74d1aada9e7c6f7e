import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { OrgStore } from '../../shared/ports/stores';

export const makeHandler = (orgs: OrgStore) =>
  apiHandler({
    operation: 'listOrgs',
    query: ListQuery,
    handle: async ({ query }) => json(200, await orgs.list(query)),
  });

export const handler = makeHandler(adapters.orgStore());
