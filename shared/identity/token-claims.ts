import { ForbiddenError } from '../errors';
import type { OrgStore, UserStore } from '../ports/stores';
import { ORG_CLAIM, ROLE_CLAIM, USER_CLAIM } from './authenticate';
import type { RoleRef } from './permissions';
import { isRoleRef } from './permissions';

/**
 * The claims the user pool's pre-token-generation trigger puts into every token: the user's org
 * (only an active one), and — when the org has a hub user with the sign-in's verified email — that
 * user's id and role, the hub being the record of both; otherwise the role the pool holds, or the
 * org's default. A user of a suspended or deleted org, or a deactivated user, gets no token at all.
 */
export function makeTokenClaims(deps: {
  orgs: Pick<OrgStore, 'get'>;
  users: Pick<UserStore, 'findByEmail'>;
}) {
  return async (userAttributes: Readonly<Record<string, string>>): Promise<Record<string, string>> => {
    const orgId = userAttributes[ORG_CLAIM];
    if (!orgId) return {};
    const org = await deps.orgs.get(orgId);
    if (!org) throw new ForbiddenError(`Organisation ${orgId} does not exist`);
    if (org.status !== 'active') throw new ForbiddenError(`Organisation ${orgId} is ${org.status}`);
    const email = userAttributes.email_verified === 'true' ? userAttributes.email?.toLowerCase() : undefined;
    const user = email ? await deps.users.findByEmail(orgId, email) : null;
    if (user?.status === 'deactivated') throw new ForbiddenError('The user is deactivated');
    if (user) return { [ORG_CLAIM]: orgId, [ROLE_CLAIM]: user.role, [USER_CLAIM]: user.id };
    const asked = userAttributes[ROLE_CLAIM];
    const role: RoleRef = isRoleRef(asked) ? asked : org.settings.defaultRole;
    return { [ORG_CLAIM]: orgId, [ROLE_CLAIM]: role };
  };
}
