import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import {
  makeListSessions,
  makeRevokeAllSessions,
  makeRevokeSession,
  sessionUserOf,
} from '../../shared/identity/manage-sessions';
import { systemClock } from '../../shared/ports/clock';

const revoked = { statusCode: 204, headers: {}, body: '' };

/** Users' sessions: their own (`/me`, a user token), or a user's with sessions:manage. */
export const makeHandler = (deps: {
  list: ReturnType<typeof makeListSessions>;
  revoke: ReturnType<typeof makeRevokeSession>;
  revokeAll: ReturnType<typeof makeRevokeAllSessions>;
}) =>
  byOperation({
    listMySessions: apiHandler({
      operation: 'listMySessions',
      handle: async ({ path, principal }) =>
        json(200, await deps.list(path.orgId, sessionUserOf(principal), principal)),
    }),
    revokeMySession: apiHandler({
      operation: 'revokeMySession',
      handle: async ({ path, principal, request }) => {
        await deps.revoke(path.orgId, sessionUserOf(principal), path.sessionId, principal, request);
        return revoked;
      },
    }),
    revokeMySessions: apiHandler({
      operation: 'revokeMySessions',
      handle: async ({ path, principal, request }) => {
        await deps.revokeAll(path.orgId, sessionUserOf(principal), principal, request);
        return revoked;
      },
    }),
    listUserSessions: apiHandler({
      operation: 'listUserSessions',
      handle: async ({ path, principal }) => json(200, await deps.list(path.orgId, path.userId, principal)),
    }),
    revokeUserSessions: apiHandler({
      operation: 'revokeUserSessions',
      handle: async ({ path, principal, request }) => {
        await deps.revokeAll(path.orgId, path.userId, principal, request);
        return revoked;
      },
    }),
  });

const sessions = adapters.sessionStore();
const users = adapters.userStore();
// The gate's own cache: a revocation made here is refused here at once, elsewhere within seconds.
const gate = adapters.sessionGate();
export const handler = makeHandler({
  list: makeListSessions({ sessions, orgs: adapters.tenantDirectory(), users, clock: systemClock }),
  revoke: makeRevokeSession({ sessions, clock: systemClock, gate }),
  revokeAll: makeRevokeAllSessions({
    sessions,
    users,
    revoker: adapters.sessionRevoker(),
    mayGrant: adapters.roleGuard(),
    clock: systemClock,
    gate,
  }),
});
