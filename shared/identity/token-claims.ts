import { ForbiddenError } from '../errors';
import type { OrgStore, UserStore } from '../ports/stores';
import { ORG_CLAIM, ROLE_CLAIM, USER_CLAIM } from './authenticate';

/**
 * The claims the user pool's pre-token-generation trigger puts into every token: the user's org
 * (only an active one), and the id and role of the org's hub user with the sign-in's verified
 * email, the hub being the record of both. Deny by default: a sign-in that maps to no active hub
 * user (no verified email, no such user, a deactivated one), or to a suspended or deleted org,
 * gets no token at all — never the org's default role. It runs on refreshes too, so a refresh
 * token stops yielding tokens the moment its user no longer maps.
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
    if (!email) throw new ForbiddenError('The sign-in has no verified email to find its hub user by');
    const user = await deps.users.findByEmail(orgId, email);
    if (!user) throw new ForbiddenError(`Organisation ${orgId} has no user with this email`);
    if (user.status !== 'active') throw new ForbiddenError('The user is deactivated');
    return { [ORG_CLAIM]: orgId, [ROLE_CLAIM]: user.role, [USER_CLAIM]: user.id };
  };
}
