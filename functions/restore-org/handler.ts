import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeRestoreOrg } from '../../shared/tenancy/delete-org';

export const makeHandler = (restoreOrg: ReturnType<typeof makeRestoreOrg>) =>
  apiHandler({
    operation: 'restoreOrg',
    handle: async ({ path, principal, request }) =>
      json(200, await restoreOrg(path.orgId, principal, request)),
  });

export const handler = makeHandler(makeRestoreOrg({ orgs: adapters.orgStore(), clock: systemClock }));
