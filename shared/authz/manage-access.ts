import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Permission } from '../identity/permissions';
import { isBuiltInRole, permissionsOf, ROLE_PERMISSIONS, ROLES } from '../identity/permissions';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { AccessStore } from '../ports/stores';
import { policyReach, validatePolicy } from './cedar-engine';
import { BASE_POLICY, BASE_POLICY_ID, CEDAR_SCHEMA } from './cedar-schema';
import type { AccessPolicy, CustomRole, OrgAccess } from './org-access';
import { MAX_CUSTOM_ROLES, MAX_POLICIES } from './org-access';

interface Deps {
  readonly access: AccessStore;
  readonly clock: Clock;
}

/** A principal may only hand out permissions it holds itself. */
function assertHolds(principal: Principal, access: OrgAccess, permissions: readonly Permission[]) {
  if (principal.kind !== 'org_member') return;
  const held = new Set(permissionsOf(principal.role, access));
  const missing = permissions.filter((p) => !held.has(p));
  if (missing.length > 0) {
    throw new ForbiddenError(`A role cannot grant what its creator does not hold: ${missing.join(', ')}`);
  }
}

/**
 * A policy change may only widen access to actions its author holds: adding or keeping a `permit`
 * grants its actions, and removing or replacing a `forbid` lifts it from its actions. `removed` is
 * the statement that stops applying (a change's old text, a deleted policy), `added` the new one.
 */
function assertMayChangePolicies(
  principal: Principal,
  access: OrgAccess,
  change: { removed?: string | undefined; added?: string | undefined },
) {
  const widened = new Set<string>();
  const removed = change.removed === undefined ? undefined : policyReach(change.removed);
  const added = change.added === undefined ? undefined : policyReach(change.added);
  if (removed?.effect === 'forbid') for (const a of removed.actions) widened.add(a);
  if (added?.effect === 'permit') for (const a of added.actions) widened.add(a);
  if (principal.kind !== 'org_member' || widened.size === 0) return;
  const held = new Set<string>(permissionsOf(principal.role, access));
  const missing = [...widened].filter((a) => !held.has(a)).sort();
  if (missing.length > 0) {
    throw new ForbiddenError(`A policy cannot grant what its author does not hold: ${missing.join(', ')}`);
  }
}

function assertNameFree(access: OrgAccess, name: string, except?: string) {
  if (isBuiltInRole(name.toLowerCase())) {
    throw new ValidationError(`${name} is a built-in role`, [
      { path: 'name', message: 'taken by a built-in role' },
    ]);
  }
  if (access.roles.some((r) => r.id !== except && r.name.toLowerCase() === name.toLowerCase())) {
    throw new ConflictError(`The organisation already has a role named ${name}`);
  }
}

/** The built-in roles and the org's custom roles, each with the permissions it grants. */
export function makeListRoles(deps: Pick<Deps, 'access'>) {
  return async (orgId: string) => {
    const { value } = await deps.access.get(orgId);
    return {
      builtIn: ROLES.map((name) => ({ name, permissions: ROLE_PERMISSIONS[name] })),
      custom: value.roles,
    };
  };
}

export function makeCreateRole(deps: Deps) {
  return async (
    orgId: string,
    input: { name: string; description?: string | undefined; permissions: Permission[] },
    principal: Principal,
    request: RequestContext,
  ): Promise<CustomRole> => {
    const { value, version } = await deps.access.get(orgId);
    if (value.roles.length >= MAX_CUSTOM_ROLES) {
      throw new ConflictError(`An organisation may define at most ${MAX_CUSTOM_ROLES} roles`);
    }
    assertNameFree(value, input.name);
    assertHolds(principal, value, input.permissions);
    const at = deps.clock.now();
    const role: CustomRole = {
      id: newId('role'),
      name: input.name,
      description: input.description ?? '',
      permissions: [...new Set(input.permissions)],
      createdAt: at.toISOString(),
    };
    const audit = auditChange({
      action: 'role.created',
      principal,
      orgId,
      targets: [{ type: 'role', id: role.id }],
      request,
      at,
      after: { name: role.name, permissions: role.permissions },
    });
    await deps.access.save(orgId, { ...value, roles: [...value.roles, role] }, version, audit);
    return role;
  };
}

/** Changes a custom role; everyone holding it gets the new permissions within the cache's few seconds. */
export function makeUpdateRole(deps: Deps) {
  return async (
    orgId: string,
    roleId: string,
    patch: {
      name?: string | undefined;
      description?: string | undefined;
      permissions?: Permission[] | undefined;
    },
    principal: Principal,
    request: RequestContext,
  ): Promise<CustomRole> => {
    const { value, version } = await deps.access.get(orgId);
    const current = value.roles.find((r) => r.id === roleId);
    if (!current) throw new NotFoundError(`No custom role ${roleId}`);
    if (patch.name !== undefined) assertNameFree(value, patch.name, roleId);
    // Changing a role is granting its old and its new permissions: the editor must hold both.
    assertHolds(principal, value, [...current.permissions, ...(patch.permissions ?? [])]);
    const at = deps.clock.now();
    const next: CustomRole = {
      ...current,
      name: patch.name ?? current.name,
      description: patch.description ?? current.description,
      permissions: patch.permissions ? [...new Set(patch.permissions)] : current.permissions,
      updatedAt: at.toISOString(),
    };
    const audit = auditChange({
      action: 'role.updated',
      principal,
      orgId,
      targets: [{ type: 'role', id: roleId }],
      request,
      at,
      before: { name: current.name, permissions: current.permissions },
      after: { name: next.name, permissions: next.permissions },
    });
    const roles = value.roles.map((r) => (r.id === roleId ? next : r));
    await deps.access.save(orgId, { ...value, roles }, version, audit);
    return next;
  };
}

/** Deletes a custom role: whoever still holds it is granted nothing by it from then on. */
export function makeDeleteRole(deps: Deps) {
  return async (orgId: string, roleId: string, principal: Principal, request: RequestContext) => {
    const { value, version } = await deps.access.get(orgId);
    const current = value.roles.find((r) => r.id === roleId);
    if (!current) throw new NotFoundError(`No custom role ${roleId}`);
    assertHolds(principal, value, current.permissions);
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'role.deleted',
      principal,
      orgId,
      targets: [{ type: 'role', id: roleId }],
      request,
      at,
      before: { name: current.name, permissions: current.permissions },
    });
    const roles = value.roles.filter((r) => r.id !== roleId);
    await deps.access.save(orgId, { ...value, roles }, version, audit);
  };
}

/** The org's policies, with the schema they are written against and the hub's base policy. */
export function makeListPolicies(deps: Pick<Deps, 'access'>) {
  return async (orgId: string) => {
    const { value } = await deps.access.get(orgId);
    return {
      items: value.policies,
      schema: CEDAR_SCHEMA,
      basePolicy: { id: BASE_POLICY_ID, statement: BASE_POLICY },
    };
  };
}

/**
 * Creates or replaces a policy, after it parses and validates against the schema; its author must
 * hold every permission the change could grant.
 */
export function makePutPolicy(deps: Deps) {
  return async (
    orgId: string,
    policyId: string,
    input: { description?: string | undefined; statement: string },
    principal: Principal,
    request: RequestContext,
  ): Promise<{ policy: AccessPolicy; created: boolean }> => {
    if (policyId === BASE_POLICY_ID) {
      throw new ValidationError(`The policy id ${BASE_POLICY_ID} is the hub's own base policy`, [
        { path: 'policyId', message: 'reserved' },
      ]);
    }
    const problems = validatePolicy(input.statement);
    if (problems.length > 0) {
      throw new ValidationError(
        'The policy is not valid Cedar for the hub schema',
        problems.map((message) => ({ path: 'statement', message })),
      );
    }
    const { value, version } = await deps.access.get(orgId);
    const current = value.policies.find((p) => p.id === policyId);
    if (!current && value.policies.length >= MAX_POLICIES) {
      throw new ConflictError(`An organisation may have at most ${MAX_POLICIES} policies`);
    }
    // Changing a policy is removing its old text and adding the new: both are checked (a new
    // description alone changes no access).
    if (current?.statement !== input.statement) {
      assertMayChangePolicies(principal, value, { removed: current?.statement, added: input.statement });
    }
    const at = deps.clock.now();
    const policy: AccessPolicy = current
      ? {
          ...current,
          description: input.description ?? current.description,
          statement: input.statement,
          updatedAt: at.toISOString(),
        }
      : {
          id: policyId,
          description: input.description ?? '',
          statement: input.statement,
          createdAt: at.toISOString(),
        };
    const audit = auditChange({
      action: current ? 'policy.updated' : 'policy.created',
      principal,
      orgId,
      targets: [{ type: 'policy', id: policyId }],
      request,
      at,
      ...(current ? { before: { statement: current.statement } } : {}),
      after: { statement: policy.statement },
    });
    const policies = current
      ? value.policies.map((p) => (p.id === policyId ? policy : p))
      : [...value.policies, policy];
    await deps.access.save(orgId, { ...value, policies }, version, audit);
    return { policy, created: !current };
  };
}

/** Deletes a policy; deleting a `forbid` needs every permission it had withheld. */
export function makeDeletePolicy(deps: Deps) {
  return async (orgId: string, policyId: string, principal: Principal, request: RequestContext) => {
    const { value, version } = await deps.access.get(orgId);
    const current = value.policies.find((p) => p.id === policyId);
    if (!current) throw new NotFoundError(`No policy ${policyId}`);
    // Deleting a forbid widens access as much as writing a permit does.
    assertMayChangePolicies(principal, value, { removed: current.statement });
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'policy.deleted',
      principal,
      orgId,
      targets: [{ type: 'policy', id: policyId }],
      request,
      at,
      before: { statement: current.statement },
    });
    const policies = value.policies.filter((p) => p.id !== policyId);
    await deps.access.save(orgId, { ...value, policies }, version, audit);
  };
}
