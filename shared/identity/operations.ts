import * as z from 'zod';
import type { OperationDoc } from '../api/operation-doc';
import { authErrors, ok, problem } from '../api/operation-doc';
import { OrgIdParam, UserIdParam } from '../api/schemas';
import { SessionList } from './session';

const SessionIdParam = z.object({ orgId: z.string(), sessionId: z.string() });
const revoked = { description: 'Revoked (recorded in the audit trail as `session.revoked`)' };
const signOutFailed = problem(
  'The hub refuses the sessions already, but signing the user out of the user pool failed (their refresh tokens may still work there): revoke again to retry the sign-out',
);
const notAUser = problem(
  'The credential does not allow this, or it is an API key (only a signed-in user has sessions)',
);

const sessionsNote =
  "A session is one sign-in (its `auth_time`), across every token refreshed from it; the gate records its use at most once a minute, and refuses a revoked one within seconds (401, `urn:integration-hub:problem:session-revoked`) — also its refreshed tokens, which keep its id. Sessions past the org's `sessionLifetimeMinutes` or idle longer than its `sessionIdleMinutes` are not listed (the gate refuses them, 401 `…:session-expired`).";

/** The session operations' documentation, merged into the OpenAPI document. */
export const sessionOperations = {
  listMySessions: {
    description: `${sessionsNote} The session of the token that asks is marked \`current\`.`,
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('Active sessions, newest sign-in first (at most 100)', SessionList),
      ...authErrors,
      '403': notAUser,
    },
  },
  revokeMySession: {
    description:
      "Revokes one of the caller's own sessions (the current one too: this token is then refused). The user pool has no sign-out of one session: the session's refresh token still yields tokens there, and the gate refuses them all.",
    requestParams: { path: SessionIdParam },
    responses: {
      '204': revoked,
      ...authErrors,
      '403': notAUser,
      '404': problem('The caller has no active session with this id'),
    },
  },
  revokeMySessions: {
    description:
      'Sign out everywhere: every session of the caller begun before now is refused within seconds, and the user pool signs them out (AdminUserGlobalSignOut), so their refresh tokens stop working. Signing in again starts a new session.',
    requestParams: { path: OrgIdParam },
    responses: { '204': revoked, ...authErrors, '403': notAUser, '503': signOutFailed },
  },
  listUserSessions: {
    description: sessionsNote,
    requestParams: { path: UserIdParam },
    responses: {
      '200': ok('Active sessions of the user, newest sign-in first (at most 100)', SessionList),
      ...authErrors,
      '404': problem('No such user in the org'),
    },
  },
  revokeUserSessions: {
    description:
      "Revokes every session of the user, as their own sign-out everywhere does: refused within seconds at the gate, and signed out of the user pool. An owner or admin; a user whose role holds more than the caller's is refused.",
    requestParams: { path: UserIdParam },
    responses: {
      '204': revoked,
      ...authErrors,
      '403': problem("The credential does not allow this, or the user's role holds more than the caller's"),
      '404': problem('No such user in the org'),
      '503': signOutFailed,
    },
  },
} satisfies Record<string, OperationDoc>;
