import type { RequestContext } from '../../audit/audit-record';
import { auditChange } from '../../audit/audit-record';
import { DependencyUnavailableError } from '../../errors';
import type { SessionRevoker } from '../../ports/session-revoker';
import type { SessionStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';
import type { Principal } from '../principal';
import type { SessionGate } from '../session-gate';

export interface SignOutEverywhereDeps {
  readonly sessions: Pick<SessionStore, 'revokeAll'>;
  readonly revoker: SessionRevoker;
  readonly gate?: Pick<SessionGate, 'forget'>;
}

/**
 * Ends every session of a user whose second factors changed: the hub refuses each one begun before
 * now (audited), this instance's gate forgets what it cached, and the pool revokes the refresh
 * tokens, so no session begun without the new factor is refreshed into one that claims it.
 */
export function makeSignOutEverywhere(deps: SignOutEverywhereDeps) {
  return async (user: User, principal: Principal, request: RequestContext, at: Date): Promise<void> => {
    const audit = auditChange({
      action: 'session.revoked',
      principal,
      orgId: user.orgId,
      targets: [{ type: 'user', id: user.id }],
      request,
      at,
      after: { scope: 'all', revokedBefore: at.toISOString(), reason: 'second factor changed' },
    });
    await deps.sessions.revokeAll(user.orgId, user.id, at.toISOString(), principal.id, audit);
    deps.gate?.forget(user.orgId, user.id);
    await deps.revoker.signOut(user).catch((cause: unknown) => {
      throw new DependencyUnavailableError(
        'The hub refuses every earlier session, but signing out of the user pool failed; revoke your sessions to retry',
        { cause },
      );
    });
  };
}
