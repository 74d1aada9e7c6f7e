import type { RequestContext } from '../audit/audit-record';
import { auditBySystem } from '../audit/audit-record';
import { ConflictError, QuotaExceededError } from '../errors';
import type { RoleDefinitions, RoleRef } from '../identity/permissions';
import { roleCovers } from '../identity/permissions';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { AccessStore, AuditStore, OrgStore, TeamStore, UserStore } from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import type { User } from '../tenancy/user';
import type { SsoConnection } from './connections';
import type { DomainStore } from './domains';
import type { IssuedSession, SessionIssuer } from './session-issuer';
import type { SignInFailureStore, SignInRefusalReason } from './sign-in-failures';
import { SignInRefusedError } from './sign-in-failures';
import type { SubjectBindingStore } from './subject-bindings';
import { bindableSubject, subjectHashOf } from './subject-bindings';

/** Who an IdP says signed in, after the protocol's own checks passed. */
export interface SsoIdentity {
  /** The IdP's stable name for the person (SAML NameID, OIDC `sub`). */
  readonly subject: string;
  /** The SAML NameID's format (a transient one is bound to nothing). */
  readonly nameIdFormat?: string | undefined;
  readonly email: string;
  readonly name?: string | undefined;
  readonly groups: readonly string[];
  /** A second factor was used, as the IdP says (OIDC `amr`, SAML authentication context). */
  readonly mfa: boolean;
}

export interface CompleteSignInDeps {
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly domains: Pick<DomainStore, 'orgOf'>;
  readonly users: Pick<UserStore, 'get' | 'findByEmail' | 'create' | 'setRole'>;
  readonly teams: Pick<TeamStore, 'membershipsOf' | 'putMember' | 'get'>;
  readonly access: Pick<AccessStore, 'get'>;
  readonly sessions: SessionIssuer;
  readonly subjects: SubjectBindingStore;
  readonly failures: SignInFailureStore;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/**
 * The hub's side of every SSO sign-in, whatever the protocol: the address must be in one of the
 * org's verified domains (an IdP speaks for its org's people only), the user is provisioned on
 * first sign-in, the IdP's groups set the role and teams, the org's MFA rule holds, the IdP's
 * subject for the person is the one bound to the user (bound at the first sign-in through the
 * connection), and the user pool issues the session. A refusal is recorded for the org's admins
 * with its reason.
 */
export function makeCompleteSignIn(deps: CompleteSignInDeps) {
  const refuse = async (connection: SsoConnection, reason: SignInRefusalReason, message: string) => {
    await deps.failures
      .record(connection.orgId, {
        connectionId: connection.id,
        reason,
        message,
        at: deps.clock.now().toISOString(),
      })
      .catch(() => undefined);
    return new SignInRefusedError(reason, message);
  };

  /** The strongest role the person's groups map to, if any maps. */
  function mappedRole(
    connection: SsoConnection,
    groups: readonly string[],
    custom: RoleDefinitions,
  ): RoleRef | null {
    const roles = connection.groupMappings.flatMap((m) =>
      m.role && groups.includes(m.group) ? [m.role] : [],
    );
    if (roles.length === 0) return null;
    return roles.reduce((best, role) => (roleCovers(role, best, custom) ? role : best));
  }

  return async (
    connection: SsoConnection,
    identity: SsoIdentity,
    request: RequestContext,
  ): Promise<IssuedSession> => {
    const failed = async (reason: SignInRefusalReason, message: string) => {
      throw await refuse(connection, reason, message);
    };
    if (!connection.enabled) return failed('connection_disabled', 'The SSO connection is disabled');
    const org = await deps.orgs.get(connection.orgId);
    if (org?.status !== 'active')
      return failed('org_inactive', `The organisation is ${org?.status ?? 'gone'}`);
    const email = identity.email.trim().toLowerCase();
    if (!/^[^\s@]{1,64}@[^\s@]{1,253}$/.test(email))
      return failed('email_missing', 'The IdP sent no usable email');
    const domain = domainOf(email);
    if ((await deps.domains.orgOf(domain)) !== connection.orgId)
      return failed(
        'email_outside_verified_domains',
        `${domain} is not one of the organisation's verified domains: its IdP cannot sign in such an address`,
      );
    if (org.settings.mfaRequired && !identity.mfa)
      return failed(
        'mfa_required',
        'The organisation requires a second factor: the IdP must report one (OIDC amr, SAML authentication context)',
      );

    const at = deps.clock.now();
    const byIdp = (action: string, user: User, extra: Record<string, unknown>) =>
      byIdpOn(action, user.id, extra);
    function byIdpOn(action: string, userId: string, extra: Record<string, unknown>) {
      return auditBySystem({
        action,
        actor: `sso:${connection.id}`,
        orgId: connection.orgId,
        targets: [{ type: 'user', id: userId }],
        requestId: request.requestId,
        at,
        after: extra,
      });
    }
    const custom = (await deps.access.get(connection.orgId)).value;
    // What the connection may reach: users its configurer's role covers, never more (an admin's
    // IdP cannot sign anyone in as an owner, or move an owner's role).
    const configuredBy = connection.configuredByRole ?? 'admin';
    const reachable = (r: RoleRef) => roleCovers(configuredBy, r, custom);
    const mapped = mappedRole(connection, identity.groups, custom);
    const role = mapped && reachable(mapped) ? mapped : null;
    let user = await deps.users.findByEmail(connection.orgId, email);
    const subject = bindableSubject(identity);
    const subjectHash = subject ? subjectHashOf(subject) : null;
    let bound = subjectHash
      ? await deps.subjects.bySubject(connection.orgId, connection.id, subjectHash)
      : null;
    if (bound && bound.userId !== user?.id) {
      if (await deps.users.get(connection.orgId, bound.userId))
        return failed(
          'subject_bound_to_other_user',
          `The IdP's subject for this person is bound to another hub user (${bound.userId}) through this connection, and the IdP now sends another email for them: an admin can reset that user's binding (DELETE …/sso-connections/${connection.id}/subjects/${bound.userId})`,
        );
      // Bound to a user who is gone: the binding went with them.
      await deps.subjects.unbind(
        connection.orgId,
        connection.id,
        bound.userId,
        byIdpOn('sso_subject.unbound', bound.userId, { reason: 'user_gone' }),
      );
      bound = null;
    }
    if (user && !bound) {
      // A bound user must show their subject: an unbindable one (a transient NameID) would let
      // the IdP sign anyone in as them by email alone.
      const ofUser = await deps.subjects.ofUser(connection.orgId, connection.id, user.id);
      if (ofUser && ofUser.subjectHash !== subjectHash)
        return failed(
          'subject_mismatch',
          `The user ${user.id} is bound to another IdP subject through this connection: the IdP asserted their email for someone else, or gave them a new account. An admin can reset the binding (DELETE …/sso-connections/${connection.id}/subjects/${user.id})`,
        );
    }
    if (user && !reachable(user.role))
      return failed(
        'user_outranks_connection',
        `The user's role (${user.role}) holds more than the role that set up this connection (${configuredBy}): an owner must set it up to sign such users in`,
      );
    if (!user) {
      // Just in time: the person's first sign-in makes them a hub user of the org.
      user = {
        id: newId('usr'),
        orgId: connection.orgId,
        email,
        name: (identity.name ?? '').trim().slice(0, 100) || email,
        role: role ?? connection.defaultRole,
        status: 'active',
        createdAt: at.toISOString(),
        createdBy: `sso:${connection.id}`,
      };
      try {
        await deps.users.create(
          user,
          byIdp('user.provisioned', user, { email, role: user.role, via: 'sso' }),
          { resource: 'users', limit: PLANS[org.plan].users },
        );
      } catch (error) {
        if (error instanceof QuotaExceededError)
          return failed('user_limit_reached', "The organisation's plan has no room for another user");
        if (!(error instanceof ConflictError)) throw error;
        // A sign-in of the same person side by side provisioned them: go on with theirs.
        user = await deps.users.findByEmail(connection.orgId, email);
        if (!user) throw error;
      }
    } else if (role && role !== user.role) {
      const previous = user.role;
      user = { ...user, role, updatedAt: at.toISOString() };
      await deps.users.setRole(
        user,
        previous,
        byIdp('user.role_changed', user, { role, before: previous, via: 'sso' }),
      );
    }
    if (user.status !== 'active') return failed('user_deactivated', 'The hub user is deactivated');
    if (subjectHash && !bound) {
      // The first sign-in through the connection: from now on this subject is this user, and back.
      const binding = {
        orgId: connection.orgId,
        connectionId: connection.id,
        userId: user.id,
        subjectHash,
        boundAt: at.toISOString(),
      };
      if (
        !(await deps.subjects.bind(
          binding,
          byIdp('sso_subject.bound', user, { connectionId: connection.id, protocol: connection.protocol }),
        ))
      ) {
        // A sign-in side by side bound first: it must have bound this very pair.
        const now = await deps.subjects.bySubject(connection.orgId, connection.id, subjectHash);
        if (now?.userId !== user.id)
          return failed(
            now ? 'subject_bound_to_other_user' : 'subject_mismatch',
            'Another sign-in through this connection bound the subject or the user meanwhile',
          );
      }
    }

    // Teams the person's groups put them in (joined, never left: leaving is the team's maintainers' call).
    const teamIds = new Set(
      connection.groupMappings.filter((m) => identity.groups.includes(m.group)).flatMap((m) => m.teamIds),
    );
    if (teamIds.size > 0) {
      const current = new Set(
        (await deps.teams.membershipsOf(connection.orgId, user.id)).map((m) => m.teamId),
      );
      for (const teamId of teamIds) {
        if (current.has(teamId) || !(await deps.teams.get(connection.orgId, teamId))) continue;
        await deps.teams.putMember(
          connection.orgId,
          { teamId, userId: user.id, role: 'member' },
          auditBySystem({
            action: 'team.member_added',
            actor: `sso:${connection.id}`,
            orgId: connection.orgId,
            targets: [
              { type: 'team', id: teamId },
              { type: 'user', id: user.id },
            ],
            requestId: request.requestId,
            at,
          }),
        );
      }
    }

    let session: IssuedSession;
    try {
      session = await deps.sessions.issue({
        orgId: connection.orgId,
        userId: user.id,
        email,
        name: user.name,
        amr: identity.mfa ? ['ext', 'mfa'] : ['ext'],
        connectionId: connection.id,
      });
    } catch (error) {
      throw await refuse(
        connection,
        'session_not_issued',
        `The user pool did not issue a session: ${(error as Error).name}`,
      );
    }
    await deps.audit.append(
      auditBySystem({
        action: 'sso.signed_in',
        actor: `sso:${connection.id}`,
        orgId: connection.orgId,
        targets: [
          { type: 'user', id: user.id },
          { type: 'sso_connection', id: connection.id },
        ],
        requestId: request.requestId,
        at,
        after: {
          protocol: connection.protocol,
          mfa: identity.mfa,
          provisioned: user.createdAt === at.toISOString(),
        },
      }),
    );
    return session;
  };
}

export type CompleteSignIn = ReturnType<typeof makeCompleteSignIn>;
