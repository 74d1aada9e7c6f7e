import * as adapters from '../../shared/adapters/wiring';
import { DeleteOrgQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeDeleteOrg } from '../../shared/tenancy/delete-org';

export const makeHandler = (deleteOrg: ReturnType<typeof makeDeleteOrg>) =>
  apiHandler({
    operation: 'deleteOrg',
    query: DeleteOrgQuery,
    handle: async ({ path, query, principal, request }) =>
      json(200, await deleteOrg(path.orgId, query.graceDays, principal, request)),
  });

export const handler = makeHandler(makeDeleteOrg({ orgs: adapters.orgStore(), clock: systemClock }));
