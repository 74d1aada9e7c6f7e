import * as adapters from '../../shared/adapters/wiring';
import { passkeyConfig } from '../../shared/config/config';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import {
  makeListSessions,
  makeRevokeAllSessions,
  makeRevokeSession,
  sessionUserOf,
} from '../../shared/identity/manage-sessions';
import { makeAuthenticatorApps } from '../../shared/identity/mfa/authenticator-app';
import { makeFactorNotices } from '../../shared/identity/mfa/factor-notices';
import { StartTotpRequest, VerifyTotpRequest } from '../../shared/identity/mfa/schemas';
import type { ManagePasskeys } from '../../shared/identity/passkeys/manage-passkeys';
import { makeManagePasskeys } from '../../shared/identity/passkeys/manage-passkeys';
import { RegisterPasskeyRequest } from '../../shared/identity/passkeys/schemas';
import { systemClock } from '../../shared/ports/clock';

const revoked = { statusCode: 204, headers: {}, body: '' };
const noStore = { 'cache-control': 'no-store' };

/**
 * Users' sessions and second factors: their own (`/me`, a user token), or a user's with
 * sessions:manage (revoking their sessions, resetting their authenticator app and passkeys).
 */
export const makeHandler = (deps: {
  list: ReturnType<typeof makeListSessions>;
  revoke: ReturnType<typeof makeRevokeSession>;
  revokeAll: ReturnType<typeof makeRevokeAllSessions>;
  apps: ReturnType<typeof makeAuthenticatorApps>;
  passkeys: ManagePasskeys;
}) =>
  byOperation({
    getMyMfa: apiHandler({
      operation: 'getMyMfa',
      handle: async ({ path, principal }) => json(200, await deps.apps.status(path.orgId, principal)),
    }),
    startTotpEnrolment: apiHandler({
      operation: 'startTotpEnrolment',
      body: StartTotpRequest,
      handle: async ({ path, body, principal, request }) =>
        json(200, await deps.apps.start(path.orgId, principal, body.accessToken, request), noStore),
    }),
    verifyTotpEnrolment: apiHandler({
      operation: 'verifyTotpEnrolment',
      body: VerifyTotpRequest,
      handle: async ({ path, body, principal, request }) =>
        json(200, await deps.apps.verify(path.orgId, principal, body, request), noStore),
    }),
    disableTotp: apiHandler({
      operation: 'disableTotp',
      handle: async ({ path, principal, request }) => {
        await deps.apps.disable(path.orgId, principal, request);
        return revoked;
      },
    }),
    resetUserMfa: apiHandler({
      operation: 'resetUserMfa',
      handle: async ({ path, principal, request }) => {
        await deps.apps.reset(path.orgId, path.userId, principal, request);
        return revoked;
      },
    }),
    startPasskeyRegistration: apiHandler({
      operation: 'startPasskeyRegistration',
      handle: async ({ path, principal }) =>
        json(200, await deps.passkeys.registrationOptions(path.orgId, principal), noStore),
    }),
    registerPasskey: apiHandler({
      operation: 'registerPasskey',
      body: RegisterPasskeyRequest,
      handle: async ({ path, body, principal, request }) =>
        json(201, await deps.passkeys.register(path.orgId, principal, body, request), noStore),
    }),
    listMyPasskeys: apiHandler({
      operation: 'listMyPasskeys',
      handle: async ({ path, principal }) => json(200, await deps.passkeys.list(path.orgId, principal)),
    }),
    removeMyPasskey: apiHandler({
      operation: 'removeMyPasskey',
      handle: async ({ path, principal, request }) => {
        await deps.passkeys.remove(path.orgId, principal, path.passkeyId, request);
        return revoked;
      },
    }),
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
const revoker = adapters.sessionRevoker();
// A change to a user's second factors is told to them by email.
const notices = makeFactorNotices({
  mailer: adapters.mailer(),
  suppressions: adapters.mailSuppressionStore(),
  orgs: adapters.tenantDirectory(),
});
const passkeys = makeManagePasskeys({
  notices,
  passkeys: adapters.passkeyStore(),
  challenges: adapters.passkeyRegistrations(),
  users,
  orgs: adapters.tenantDirectory(),
  relyingParty: passkeyConfig(),
  sessions,
  revoker,
  gate,
  clock: systemClock,
});
export const handler = makeHandler({
  list: makeListSessions({ sessions, orgs: adapters.tenantDirectory(), users, clock: systemClock }),
  revoke: makeRevokeSession({ sessions, clock: systemClock, gate }),
  revokeAll: makeRevokeAllSessions({
    sessions,
    users,
    revoker,
    mayGrant: adapters.roleGuard(),
    clock: systemClock,
    gate,
  }),
  apps: makeAuthenticatorApps({
    users,
    orgs: adapters.tenantDirectory(),
    apps: adapters.authenticatorApps(),
    verifyAccessToken: adapters.accessTokenVerify(),
    audit: adapters.auditStore(),
    sessions,
    revoker,
    mayGrant: adapters.roleGuard(),
    clock: systemClock,
    gate,
    passkeys,
    notices,
  }),
  passkeys,
});
