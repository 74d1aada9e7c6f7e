import type { EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/web';
import type { ApiKey } from '../identity/api-key';
import type { Permission } from '../identity/permissions';
import { permissionsOf } from '../identity/permissions';
import type { Principal } from '../identity/principal';
import { hasRecentSecondFactor } from '../identity/step-up';
import type { Team, TeamMembership } from '../tenancy/team';
import type { User } from '../tenancy/user';
import { decide } from './cedar-engine';
import { CEDAR_NAMESPACE } from './cedar-schema';
import type { OrgAccess } from './org-access';

type OrgPrincipal = Extract<Principal, { kind: 'org_member' }>;

/** The request as the access check sees it. */
export interface AccessRequest {
  readonly principal: OrgPrincipal;
  readonly permission: Permission;
  readonly operation: string;
  readonly path: Readonly<Record<string, string | undefined>>;
  readonly ip: string;
  readonly at: Date;
  /** The org's step-up window: `context.mfa` holds only for a second factor this recent. @default 15 */
  readonly stepUpMinutes?: number;
}

/** What policies may look at beyond the request; loaded only for orgs that have policies. */
export interface AccessFacts {
  readonly teams: readonly Team[];
  /** The principal's direct team memberships (none for an API key). */
  readonly memberships: readonly TeamMembership[];
  /** The principal's own key, when the principal is an API key (its creator is its owner). */
  readonly principalKey: ApiKey | null;
  readonly resourceUser: User | null;
  readonly resourceKey: ApiKey | null;
}

export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

const uid = (type: string, id: string): EntityUidJson => ({ type: `${CEDAR_NAMESPACE}::${type}`, id });

/** The entity a route addresses: the narrowest id in its path, else the org itself. */
export function resourceOf(orgId: string, path: AccessRequest['path']): EntityUidJson {
  if (path.invitationId) return uid('Invitation', path.invitationId);
  if (path.keyId) return uid('ApiKey', path.keyId);
  if (path.teamId) return uid('Team', path.teamId);
  if (path.userId) return uid('User', path.userId);
  if (path.connectionId) return uid('Connection', path.connectionId);
  return uid('Org', orgId);
}

/** The resources the route needs loaded for its policies: a user's or a key's attributes. */
export function resourceNeeds(path: AccessRequest['path']): { userId?: string; keyId?: string } {
  if (path.invitationId) return {};
  if (path.keyId) return { keyId: path.keyId };
  if (path.teamId) return {};
  if (path.userId) return { userId: path.userId };
  return {};
}

function entitiesFor(request: AccessRequest, facts: AccessFacts): EntityJson[] {
  const { principal } = request;
  const org = uid('Org', principal.orgId);
  const byUid = new Map<string, EntityJson>();
  const add = (entity: EntityJson) => {
    const key = JSON.stringify(entity.uid);
    if (!byUid.has(key)) byUid.set(key, entity);
  };
  add({ uid: org, attrs: {}, parents: [] });
  for (const team of facts.teams) {
    add({
      uid: uid('Team', team.id),
      attrs: { name: team.name },
      parents: [team.parentId ? uid('Team', team.parentId) : org],
    });
  }
  if (principal.type === 'user') {
    add({
      uid: uid('User', principal.id),
      // The hub user's email, as the gate read it from the hub's record; never a token's claim.
      attrs: { id: principal.id, role: principal.role, email: principal.email ?? '' },
      parents: [org, ...facts.memberships.map((m) => uid('Team', m.teamId))],
    });
  } else {
    add({
      uid: uid('ApiKey', principal.id),
      attrs: { id: principal.id, role: principal.role, owner: facts.principalKey?.createdBy ?? '' },
      parents: [org],
    });
  }
  const resource = resourceOf(principal.orgId, request.path);
  if (facts.resourceUser) {
    add({
      uid: uid('User', facts.resourceUser.id),
      attrs: {
        id: facts.resourceUser.id,
        role: facts.resourceUser.role,
        email: facts.resourceUser.email,
      },
      parents: [org],
    });
  }
  if (facts.resourceKey) {
    add({
      uid: uid('ApiKey', facts.resourceKey.id),
      attrs: {
        id: facts.resourceKey.id,
        role: facts.resourceKey.role,
        owner: facts.resourceKey.createdBy,
      },
      parents: [org],
    });
  }
  // Anything the route addresses that was not loaded (an invitation, a connection, an id that
  // does not exist) still belongs to the org.
  add({ uid: resource, attrs: {}, parents: [org] });
  return [...byUid.values()];
}

/**
 * Decides whether an org member may use a permission here. Roles decide alone for orgs without
 * policies; otherwise Cedar decides with the org's policies over the principal, the resource and
 * the request's context, the role's decision entering as `context.rbac`.
 */
export function evaluateAccess(
  request: AccessRequest,
  access: OrgAccess,
  facts: AccessFacts | null,
): AccessDecision {
  const rbac = permissionsOf(request.principal.role, access).includes(request.permission);
  // Break glass: an owner may always manage the org's policies, so no policy (an admin's forbid
  // included) can lock the owners out of repairing the policy set.
  if (request.principal.role === 'owner' && request.permission === 'policies:manage' && rbac) {
    return { allowed: true, reason: "granted by role: an owner always manages the org's policies" };
  }
  if (access.policies.length === 0 || facts === null) {
    return {
      allowed: rbac,
      reason: rbac ? 'granted by role' : `The caller's role does not grant ${request.permission}`,
    };
  }
  const at = request.at;
  const decision = decide(access.policies, {
    principal: uid(request.principal.type === 'user' ? 'User' : 'ApiKey', request.principal.id),
    action: uid('Action', request.permission),
    resource: resourceOf(request.principal.orgId, request.path),
    context: {
      ip: { __extn: { fn: 'ip', arg: request.ip } },
      mfa: hasRecentSecondFactor(request.principal, at, request.stepUpMinutes),
      rbac,
      credential: request.principal.type,
      operation: request.operation,
      now: Math.floor(at.getTime() / 1000),
      hourUtc: at.getUTCHours(),
      dayOfWeekUtc: at.getUTCDay(),
    },
    entities: entitiesFor(request, facts),
  });
  if (decision.allowed) {
    return { allowed: true, reason: `allowed by ${decision.determining.join(', ')}` };
  }
  const forbidding = decision.determining;
  return {
    allowed: false,
    reason:
      forbidding.length > 0
        ? `Denied by the organisation's policy ${forbidding.join(', ')}`
        : rbac
          ? 'Denied: the request could not be evaluated against the organisation policies'
          : `The caller's role does not grant ${request.permission}, and no organisation policy permits it`,
  };
}
