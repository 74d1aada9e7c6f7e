import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeSetUserStatus } from '../../shared/tenancy/manage-users';

/** Serves both `/deactivate` and `/reactivate`: one function, the route says which. */
export const makeHandler = (setStatus: ReturnType<typeof makeSetUserStatus>) => {
  const deactivate = apiHandler({
    operation: 'deactivateUser',
    handle: async ({ path, principal, request }) =>
      json(200, await setStatus(path.orgId, path.userId, 'deactivated', principal, request)),
  });
  const reactivate = apiHandler({
    operation: 'reactivateUser',
    handle: async ({ path, principal, request }) =>
      json(200, await setStatus(path.orgId, path.userId, 'active', principal, request)),
  });
  return byOperation({ deactivateUser: deactivate, reactivateUser: reactivate });
};

export const handler = makeHandler(
  makeSetUserStatus({
    users: adapters.userStore(),
    clock: systemClock,
    mayGrant: adapters.roleGuard(),
    sessions: adapters.sessionRevoker(),
  }),
);
