import { ForbiddenError } from '../errors';
import type { Clock } from '../ports/clock';
import type { OrgStore, UserStore } from '../ports/stores';
import { poolUsername, SIGN_IN_GRANT_METADATA, type SignInGrantStore, ssoAmrOf } from '../sso/sign-in-grants';
import { AMR_CLAIM } from './amr';
import { ORG_CLAIM, ROLE_CLAIM, USER_CLAIM } from './authenticate';
import { holdPoolAccountTo, type PoolAccountBindings } from './pool-accounts';

/** What the user pool tells its pre-token-generation trigger about a sign-in or a refresh. */
export interface TokenRequest {
  readonly userAttributes: Readonly<Record<string, string>>;
  /** The caller's client metadata (unverified: a public client may send any). */
  readonly clientMetadata?: Readonly<Record<string, string>> | undefined;
  /** Tokens from a refresh token (`TokenGeneration_RefreshTokens`), not a sign-in. */
  readonly refresh?: boolean | undefined;
}

/**
 * The claims the user pool's pre-token-generation trigger puts into every token: the user's org
 * (only an active one), and the id and role of the org's hub user with the sign-in's verified
 * email, the hub being the record of both. Deny by default: a sign-in that maps to no active hub
 * user (no verified email, no such user, a deactivated one), or to a suspended or deleted org,
 * gets no token at all — never the org's default role. It runs on refreshes too, so a refresh
 * token stops yielding tokens the moment its user no longer maps.
 *
 * And how the session authenticated (`custom:amr`): an SSO sign-in's `amr` is its sign-in grant's
 * (what the IdP reported, checked by the hub); a password sign-in's is `pwd`, with `otp` when the
 * hub user has an authenticator app enrolled — the pool then asks its code at every password
 * sign-in, and enrolling signs the user out everywhere, so no session begun without the code
 * is refreshed into one that claims it. A refresh of a user who signed in by SSO lately claims no
 * second factor (`ssoAmrOf`).
 *
 * The pool account is held to the hub user its first token was for (`holdPoolAccountTo`): an
 * address given to someone else does not hand them the old account and its password.
 */
export function makeTokenClaims(deps: {
  orgs: Pick<OrgStore, 'get'>;
  users: Pick<UserStore, 'findByEmail'>;
  grants: Pick<SignInGrantStore, 'find'>;
  accounts: PoolAccountBindings;
  clock: Clock;
}) {
  return async (request: TokenRequest): Promise<Record<string, string>> => {
    const { userAttributes } = request;
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
    await holdPoolAccountTo(deps.accounts, { orgId, sub: userAttributes.sub }, user.id, deps.clock.now());
    const grantId = request.clientMetadata?.[SIGN_IN_GRANT_METADATA];
    const sso =
      grantId !== undefined || request.refresh
        ? ssoAmrOf(
            await deps.grants.find(poolUsername(email)),
            { grantId, refresh: request.refresh === true, userId: user.id, orgId },
            deps.clock.now(),
          )
        : null;
    const amr = sso ?? (user.totpEnabledAt ? ['pwd', 'otp'] : ['pwd']);
    return { [ORG_CLAIM]: orgId, [ROLE_CLAIM]: user.role, [USER_CLAIM]: user.id, [AMR_CLAIM]: amr.join(' ') };
  };
}
