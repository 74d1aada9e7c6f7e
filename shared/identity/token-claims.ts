import { ForbiddenError } from '../errors';
import type { OrgStore } from '../ports/stores';
import { ORG_CLAIM, ROLE_CLAIM } from './authenticate';
import type { Role } from './permissions';
import { ROLES } from './permissions';

/**
 * The claims the user pool's pre-token-generation trigger puts into every token: the user's org
 * (only an active one) and role (the org's default when the user has none). A user of a suspended
 * or deleted org gets no token at all.
 */
export function makeTokenClaims(deps: { orgs: Pick<OrgStore, 'get'> }) {
  return async (userAttributes: Readonly<Record<string, string>>): Promise<Record<string, string>> => {
    const orgId = userAttributes[ORG_CLAIM];
    if (!orgId) return {};
    const org = await deps.orgs.get(orgId);
    if (!org) throw new ForbiddenError(`Organisation ${orgId} does not exist`);
    if (org.status !== 'active') throw new ForbiddenError(`Organisation ${orgId} is ${org.status}`);
    const asked = userAttributes[ROLE_CLAIM];
    const role: Role = ROLES.includes(asked as Role) ? (asked as Role) : org.settings.defaultRole;
    return { [ORG_CLAIM]: orgId, [ROLE_CLAIM]: role };
  };
}
