import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { makeAuthenticatorApps } from '../../shared/identity/mfa/authenticator-app';
import { StartTotpRequest, VerifyTotpRequest } from '../../shared/identity/mfa/schemas';

const noStore = { 'cache-control': 'no-store' };
const done = { statusCode: 204, headers: {}, body: '' };

/** Second factors: the signed-in user's authenticator app (`/me`), or an admin's reset of a user's. */
export const makeHandler = (apps: ReturnType<typeof makeAuthenticatorApps>) =>
  byOperation({
    getMyMfa: apiHandler({
      operation: 'getMyMfa',
      handle: async ({ path, principal }) => json(200, await apps.status(path.orgId, principal)),
    }),
    startTotpEnrolment: apiHandler({
      operation: 'startTotpEnrolment',
      body: StartTotpRequest,
      handle: async ({ path, body, principal, request }) =>
        json(200, await apps.start(path.orgId, principal, body.accessToken, request), noStore),
    }),
    verifyTotpEnrolment: apiHandler({
      operation: 'verifyTotpEnrolment',
      body: VerifyTotpRequest,
      handle: async ({ path, body, principal, request }) =>
        json(200, await apps.verify(path.orgId, principal, body, request), noStore),
    }),
    disableTotp: apiHandler({
      operation: 'disableTotp',
      handle: async ({ path, principal, request }) => {
        await apps.disable(path.orgId, principal, request);
        return done;
      },
    }),
    resetUserMfa: apiHandler({
      operation: 'resetUserMfa',
      handle: async ({ path, principal, request }) => {
        await apps.reset(path.orgId, path.userId, principal, request);
        return done;
      },
    }),
  });

export const handler = makeHandler(
  makeAuthenticatorApps({
    users: adapters.userStore(),
    orgs: adapters.tenantDirectory(),
    apps: adapters.authenticatorApps(),
    verifyAccessToken: adapters.accessTokenVerify(),
    audit: adapters.auditStore(),
    sessions: adapters.sessionStore(),
    revoker: adapters.sessionRevoker(),
    mayGrant: adapters.roleGuard(),
    clock: hubClock(),
    gate: adapters.sessionGate(),
  }),
);
