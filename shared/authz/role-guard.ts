import { ForbiddenError, ValidationError } from '../errors';
import type { RoleRef } from '../identity/permissions';
import { CUSTOM_ROLE_ID, roleCovers } from '../identity/permissions';
import type { Principal } from '../identity/principal';
import type { AccessStore } from '../ports/stores';

/**
 * Guards every grant of a role (a key, a user, an invitation): a custom role must exist in the
 * org, and the granter must hold every permission the role grants, so no one can hand out more
 * than they hold. Read fresh, not from a cache: a grant must see the roles as they are now.
 */
export function makeRoleGuard(access: Pick<AccessStore, 'get'>) {
  return async (orgId: string, principal: Principal, role: RoleRef, verb: string): Promise<void> => {
    const needsRoles =
      CUSTOM_ROLE_ID.test(role) || (principal.kind === 'org_member' && CUSTOM_ROLE_ID.test(principal.role));
    const { value } = needsRoles ? await access.get(orgId) : { value: { roles: [] } };
    if (CUSTOM_ROLE_ID.test(role) && !value.roles.some((r) => r.id === role)) {
      throw new ValidationError(`The organisation has no custom role ${role}`, [
        { path: 'role', message: 'no such custom role' },
      ]);
    }
    if (principal.kind === 'org_member' && !roleCovers(principal.role, role, value)) {
      throw new ForbiddenError(`A ${principal.role} cannot ${verb} with the stronger role ${role}`);
    }
  };
}

export type RoleGuard = ReturnType<typeof makeRoleGuard>;
