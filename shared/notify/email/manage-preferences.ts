import type { RequestContext } from '../../audit/audit-record';
import { auditChange } from '../../audit/audit-record';
import type { AccessDirectory } from '../../authz/access-directory';
import { ForbiddenError, NotFoundError } from '../../errors';
import { permissionsOf } from '../../identity/permissions';
import type { Principal } from '../../identity/principal';
import type { Clock } from '../../ports/clock';
import type { UserStore } from '../../ports/stores';
import type { NotificationPreferenceStore } from './ports';
import type { NotificationPreferences } from './preferences';
import { DEFAULT_PREFERENCES } from './preferences';

interface Deps {
  readonly preferences: NotificationPreferenceStore;
  readonly users: Pick<UserStore, 'get'>;
  /** The org's custom roles: whether the caller's role holds `users:manage`. */
  readonly access: Pick<AccessDirectory, 'get'>;
  readonly clock: Clock;
}

/**
 * A user's preferences are theirs to read and set (with their token, or a personal key acting
 * for them); anyone else needs `users:manage` in the org. The route itself asks only `org:read`.
 */
const isSelf = (principal: Principal, userId: string) =>
  principal.kind === 'org_member' &&
  (principal.type === 'user' ? principal.id : principal.ownerUserId) === userId;

async function mayManage(deps: Deps, principal: Principal, orgId: string, userId: string): Promise<void> {
  if (principal.kind === 'platform_admin') return;
  if (isSelf(principal, userId)) return;
  const access = await deps.access.get(orgId);
  if (permissionsOf(principal.role, access).includes('users:manage')) return;
  throw new ForbiddenError(
    "Only the user themself, or a caller with users:manage, may see or set a user's notification preferences",
  );
}

async function requireUser(deps: Deps, orgId: string, userId: string) {
  const user = await deps.users.get(orgId, userId);
  if (!user) throw new NotFoundError(`No user ${userId}`);
  return user;
}

export type PreferencesView = NotificationPreferences & { userId: string; updatedAt: string | null };

export function makeGetPreferences(deps: Deps) {
  return async (orgId: string, userId: string, principal: Principal): Promise<PreferencesView> => {
    await mayManage(deps, principal, orgId, userId);
    await requireUser(deps, orgId, userId);
    const stored = await deps.preferences.get(orgId, userId);
    if (!stored) return { ...DEFAULT_PREFERENCES, userId, updatedAt: null };
    const { emailOffByUser: _, ...value } = stored.value;
    return { ...value, userId };
  };
}

/** Replaces a user's preferences (what the body leaves out takes its default), audited with before and after. */
export function makePutPreferences(deps: Deps) {
  return async (
    orgId: string,
    userId: string,
    input: NotificationPreferences,
    principal: Principal,
    request: RequestContext,
  ): Promise<PreferencesView> => {
    await mayManage(deps, principal, orgId, userId);
    await requireUser(deps, orgId, userId);
    const stored = await deps.preferences.get(orgId, userId);
    const at = deps.clock.now();
    const {
      updatedAt: _,
      emailOffByUser,
      ...before
    } = stored?.value ?? { ...DEFAULT_PREFERENCES, updatedAt: null, emailOffByUser: false };
    const self = isSelf(principal, userId);
    // The user's own unsubscribe is theirs to undo: another caller may change the rest, not that.
    if (!self && emailOffByUser && input.channels.email)
      throw new ForbiddenError(
        'The user turned email notifications off themself: only they can turn them on again',
      );
    const offByUser = self ? !input.channels.email : emailOffByUser === true && !input.channels.email;
    await deps.preferences.save(
      orgId,
      userId,
      { ...input, ...(offByUser ? { emailOffByUser: true } : {}) },
      at.toISOString(),
      stored?.version ?? 0,
      auditChange({
        action: 'notification_preferences.updated',
        principal,
        orgId,
        targets: [{ type: 'user', id: userId }],
        request,
        at,
        before,
        after: input,
      }),
    );
    return { ...input, userId, updatedAt: at.toISOString() };
  };
}
