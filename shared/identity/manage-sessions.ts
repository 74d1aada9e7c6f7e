import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { RoleGuard } from '../authz/role-guard';
import { DependencyUnavailableError, ForbiddenError, NotFoundError } from '../errors';
import type { Clock } from '../ports/clock';
import type { SessionRevoker } from '../ports/session-revoker';
import type { OrgStore, SessionStore, UserStore } from '../ports/stores';
import type { Org } from '../tenancy/org';
import type { User } from '../tenancy/user';
import type { Principal } from './principal';
import type { Session, SessionView } from './session';
import { revocationOf } from './session';
import type { SessionGate } from './session-gate';
import { sessionIdOf } from './session-id';

/** The most sessions a list shows (a user's newest sign-ins; the records expire after days). */
const LISTED = 100;

/** The signed-in user a `/me` route acts for: only a user token has sessions, an API key none. */
export function sessionUserOf(principal: Principal): string {
  if (principal.kind !== 'org_member' || principal.type !== 'user') {
    throw new ForbiddenError('Only a signed-in user has sessions: an API key has none');
  }
  return principal.id;
}

/** Whether a recorded session may still be used under the org's settings at `now`. */
function isActive(session: Session, revokedBefore: string | null, org: Org, now: Date): boolean {
  const started = Date.parse(session.startedAt);
  if (revocationOf({ session, revokedBefore }, Math.floor(started / 1000))) return false;
  if (started + org.settings.sessionLifetimeMinutes * 60_000 <= now.getTime()) return false;
  const idle = org.settings.sessionIdleMinutes;
  return idle === null || Date.parse(session.lastSeenAt) + idle * 60_000 >= now.getTime();
}

async function requireUser(users: Pick<UserStore, 'get'>, orgId: string, userId: string): Promise<User> {
  const user = await users.get(orgId, userId);
  if (!user) throw new NotFoundError(`No user ${userId}`);
  return user;
}

/** A user's active sessions, newest sign-in first; the caller's own session is marked `current`. */
export function makeListSessions(deps: {
  sessions: Pick<SessionStore, 'list'>;
  orgs: Pick<OrgStore, 'get'>;
  users: Pick<UserStore, 'get'>;
  clock: Clock;
}) {
  return async (orgId: string, userId: string, principal: Principal): Promise<{ items: SessionView[] }> => {
    const [org] = await Promise.all([deps.orgs.get(orgId), requireUser(deps.users, orgId, userId)]);
    if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
    const { sessions, revokedBefore } = await deps.sessions.list(orgId, userId, LISTED);
    const now = deps.clock.now();
    const current =
      principal.kind === 'org_member' &&
      principal.type === 'user' &&
      principal.id === userId &&
      principal.authTime
        ? sessionIdOf(orgId, userId, principal.authTime)
        : null;
    return {
      items: sessions
        .filter((s) => isActive(s, revokedBefore, org, now))
        .map(({ orgId: _org, revokedAt: _at, revokedBy: _by, ...view }) => ({
          ...view,
          current: view.id === current,
        })),
    };
  };
}

/**
 * Revokes one of a user's sessions: the gate refuses its tokens (and those refreshed from it, which
 * keep its id) within seconds. The identity provider has no per-session sign-out, and needs none.
 */
export function makeRevokeSession(deps: {
  sessions: Pick<SessionStore, 'revoke'>;
  clock: Clock;
  gate?: Pick<SessionGate, 'forget'>;
}) {
  return async (
    orgId: string,
    userId: string,
    sessionId: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<void> => {
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'session.revoked',
      principal,
      orgId,
      targets: [
        { type: 'session', id: sessionId },
        { type: 'user', id: userId },
      ],
      request,
      at,
      after: { scope: 'session' },
    });
    await deps.sessions.revoke(orgId, userId, sessionId, at.toISOString(), principal.id, audit);
    deps.gate?.forget(orgId, userId);
  };
}

/**
 * Revokes every session of a user (a "sign out everywhere"): a marker refuses every token whose
 * sign-in came before it, then the identity provider signs the user out, so their refresh tokens
 * stop working. The marker is written first — the refusal must not wait on the provider — and if
 * the sign-out fails the caller is told (503); revoking again repeats it. Another user's sessions
 * only by one whose role covers theirs.
 */
export function makeRevokeAllSessions(deps: {
  sessions: Pick<SessionStore, 'revokeAll'>;
  users: Pick<UserStore, 'get'>;
  revoker: SessionRevoker;
  mayGrant: RoleGuard;
  clock: Clock;
  gate?: Pick<SessionGate, 'forget'>;
}) {
  return async (
    orgId: string,
    userId: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<void> => {
    const user = await requireUser(deps.users, orgId, userId);
    const own = principal.kind === 'org_member' && principal.type === 'user' && principal.id === userId;
    if (!own) await deps.mayGrant(orgId, principal, user.role, 'revoke the sessions of a user');
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'session.revoked',
      principal,
      orgId,
      targets: [{ type: 'user', id: userId }],
      request,
      at,
      after: { scope: 'all', revokedBefore: at.toISOString() },
    });
    await deps.sessions.revokeAll(orgId, userId, at.toISOString(), principal.id, audit);
    deps.gate?.forget(orgId, userId);
    try {
      await deps.revoker.signOut(user);
    } catch (cause) {
      throw new DependencyUnavailableError(
        `The hub refuses every session of user ${userId}, but signing them out of the identity provider failed; revoke their sessions again to retry the sign-out`,
        { cause },
      );
    }
  };
}
