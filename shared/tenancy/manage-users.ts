import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { RoleGuard } from '../authz/role-guard';
import { ConflictError, DependencyUnavailableError, ForbiddenError, NotFoundError } from '../errors';
import type { RoleRef } from '../identity/permissions';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { SessionRevoker } from '../ports/session-revoker';
import type { OrgStore, UserStore } from '../ports/stores';
import type { Org } from './org';
import { PLANS } from './plans';
import { requireOrg } from './require-org';
import type { User } from './user';

export interface ProvisionUserInput {
  readonly email: string;
  readonly name: string;
  readonly role?: RoleRef | undefined;
}

/** Adds a user to an org directly (no invitation), with the org's default role unless one is given. */
export function makeProvisionUser(deps: {
  orgs: OrgStore;
  users: UserStore;
  clock: Clock;
  mayGrant: RoleGuard;
}) {
  return async (orgId: string, input: ProvisionUserInput, principal: Principal, request: RequestContext) => {
    const org = await requireOrg(deps.orgs, orgId);
    const role = input.role ?? org.settings.defaultRole;
    await deps.mayGrant(orgId, principal, role, 'add a user');
    const email = admittedEmail(org, input.email);
    const at = deps.clock.now();
    const user: User = {
      id: newId('usr'),
      orgId,
      email,
      name: input.name,
      role,
      status: 'active',
      createdAt: at.toISOString(),
      createdBy: principal.id,
    };
    const audit = auditChange({
      action: 'user.provisioned',
      principal,
      orgId,
      targets: [{ type: 'user', id: user.id }],
      request,
      at,
      after: { email, role },
    });
    await deps.users.create(user, audit, { resource: 'users', limit: PLANS[org.plan].users });
    return user;
  };
}

/**
 * Deactivates or reactivates a user. A deactivated user's tokens stop working on the next request
 * (the gate reads the status every time), and the user is signed out of the identity provider, so
 * their refresh tokens stop working too. The deactivation is recorded first — the refusal must
 * not wait on the provider — and then the sign-out is made; if it fails the caller is told
 * (503), and deactivating the user again repeats the sign-out before answering that the user
 * already is deactivated.
 */
export function makeSetUserStatus(deps: {
  users: UserStore;
  clock: Clock;
  mayGrant: RoleGuard;
  sessions: SessionRevoker;
}) {
  const signOut = async (user: User) => {
    try {
      await deps.sessions.signOut(user);
    } catch (cause) {
      throw new DependencyUnavailableError(
        `User ${user.id} is deactivated and the hub refuses their tokens, but signing them out of the identity provider failed; deactivate them again to retry the sign-out`,
        { cause },
      );
    }
  };
  return async (
    orgId: string,
    userId: string,
    status: User['status'],
    principal: Principal,
    request: RequestContext,
  ): Promise<User> => {
    const user = await deps.users.get(orgId, userId);
    if (!user) throw new NotFoundError(`No user ${userId}`);
    await deps.mayGrant(orgId, principal, user.role, 'change a user');
    if (user.status === status) {
      // A repeated deactivation is how a failed sign-out is retried: the sign-out is idempotent.
      if (status === 'deactivated') await signOut(user);
      throw new ConflictError(`User ${userId} is already ${status}`);
    }
    const at = deps.clock.now();
    const next: User = { ...user, status, updatedAt: at.toISOString() };
    const audit = auditChange({
      action: status === 'deactivated' ? 'user.deactivated' : 'user.reactivated',
      principal,
      orgId,
      targets: [{ type: 'user', id: userId }],
      request,
      at,
      before: { status: user.status },
      after: { status },
    });
    await deps.users.setStatus(next, user.status, audit);
    if (status === 'deactivated') await signOut(next);
    return next;
  };
}

/** The address in its stored (lower-case) form, if the org admits its domain; ForbiddenError otherwise. */
export function admittedEmail(org: Org, address: string): string {
  const email = address.toLowerCase();
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (org.settings.allowedEmailDomains.length > 0 && !org.settings.allowedEmailDomains.includes(domain)) {
    throw new ForbiddenError(
      `The organisation admits only ${org.settings.allowedEmailDomains.join(', ')} addresses`,
    );
  }
  return email;
}
