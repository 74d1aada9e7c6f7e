import * as adapters from '../../shared/adapters/wiring';
import { UpdateOrgRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeUpdateOrg } from '../../shared/tenancy/update-org';

export const makeHandler = (updateOrg: ReturnType<typeof makeUpdateOrg>) =>
  apiHandler({
    operation: 'updateOrg',
    body: UpdateOrgRequest,
    handle: async ({ body, path, principal, request }) =>
      json(200, await updateOrg(path.orgId, body, principal, request)),
  });

export const handler = makeHandler(makeUpdateOrg({ orgs: adapters.orgStore(), clock: systemClock }));
