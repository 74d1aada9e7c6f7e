import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeSetOrgStatus } from '../../shared/tenancy/update-org';

/** Serves both `/suspend` and `/reactivate`: one function, the route says which. */
export const makeHandler = (setStatus: ReturnType<typeof makeSetOrgStatus>) => {
  const suspend = apiHandler({
    operation: 'suspendOrg',
    handle: async ({ path, principal, request }) =>
      json(200, await setStatus(path.orgId, 'suspended', principal, request)),
  });
  const reactivate = apiHandler({
    operation: 'reactivateOrg',
    handle: async ({ path, principal, request }) =>
      json(200, await setStatus(path.orgId, 'active', principal, request)),
  });
  return byOperation({ suspendOrg: suspend, reactivateOrg: reactivate });
};

export const handler = makeHandler(makeSetOrgStatus({ orgs: adapters.orgStore(), clock: systemClock }));
