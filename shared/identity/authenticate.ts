import { UnauthenticatedError } from '../errors';
import { ID_PATTERN } from '../ids';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore } from '../ports/stores';
import { amrOf, showsSecondFactor } from './amr';
import { hashApiKey, isWellFormedApiKey, looksLikeApiKey } from './api-key-format';
import { isRoleRef } from './permissions';
import type { Principal } from './principal';
import { SCIM_TOKEN_PREFIX } from './scim-token-format';
import { signInMethodOf } from './session';

/** Verifies a JWT and returns its claims; throws when the token is not valid. */
export type JwtVerify = (token: string) => Promise<Record<string, unknown>>;

/** The claims the hub reads from a user's token (set by the pre-token-generation trigger). */
export const ORG_CLAIM = 'custom:org_id';
export const ROLE_CLAIM = 'custom:role';
/** The hub user a token stands for: an org member's token without one is refused (no default role). */
export const USER_CLAIM = 'custom:user_id';
export const PLATFORM_ADMIN_GROUP = 'platform-admins';

/** Resolves a bearer token (an API key or a JWT) to the principal it stands for. */
export function makeAuthenticator(deps: {
  keys: Pick<ApiKeyStore, 'findByHash'>;
  verifyJwt: JwtVerify;
  clock: Clock;
}) {
  return async (authorization: string | undefined): Promise<Principal> => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthenticatedError('Send "Authorization: Bearer <API key or token>"');
    // A SCIM token opens the SCIM service alone: refused here before any read, whatever it is worth.
    if (token.startsWith(SCIM_TOKEN_PREFIX)) {
      throw new UnauthenticatedError('A SCIM token is accepted only by the SCIM service at /scim/v2');
    }
    return looksLikeApiKey(token) ? fromApiKey(token) : fromJwt(token);
  };

  async function fromApiKey(token: string): Promise<Principal> {
    // The checksum refuses a mistyped or made-up key without a database read.
    if (!isWellFormedApiKey(token)) throw new UnauthenticatedError('The API key is malformed');
    const grant = await deps.keys.findByHash(hashApiKey(token));
    if (!grant) throw new UnauthenticatedError('The API key is not valid');
    if (grant.expiresAt && new Date(grant.expiresAt) <= deps.clock.now()) {
      throw new UnauthenticatedError('The API key has expired');
    }
    if (grant.scope === 'platform')
      return { kind: 'platform_admin', type: 'api_key', id: grant.keyId, name: grant.name };
    return {
      kind: 'org_member',
      type: 'api_key',
      id: grant.keyId,
      name: grant.name,
      orgId: grant.orgId,
      role: grant.role,
      ...(grant.ownerUserId ? { ownerUserId: grant.ownerUserId } : {}),
    };
  }

  async function fromJwt(token: string): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      claims = await deps.verifyJwt(token);
    } catch (cause) {
      throw new UnauthenticatedError('The token is not valid', { cause });
    }
    const sub = claims.sub;
    if (typeof sub !== 'string') throw new UnauthenticatedError('The token has no subject');
    const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
    if (groups.includes(PLATFORM_ADMIN_GROUP)) {
      const name = typeof claims.email === 'string' ? claims.email : sub;
      return { kind: 'platform_admin', type: 'user', id: sub, name };
    }
    const orgId = claims[ORG_CLAIM];
    const role = claims[ROLE_CLAIM];
    if (typeof orgId !== 'string' || !isRoleRef(role)) {
      throw new UnauthenticatedError('The token names no organisation and role');
    }
    // Deny by default: a sign-in the trigger mapped to no hub user gets nothing, not a default role.
    const userId = claims[USER_CLAIM];
    if (typeof userId !== 'string' || !ID_PATTERN('usr').test(userId)) {
      throw new UnauthenticatedError('The token stands for no user of the organisation');
    }
    const authTime = claims.auth_time;
    if (typeof authTime !== 'number' || !Number.isInteger(authTime)) {
      throw new UnauthenticatedError('The token does not say when the user signed in (auth_time)');
    }
    // How the user authenticated (`amr`); a second factor shows as `mfa` (or `otp`, `hwk`, `swk`).
    const mfa = showsSecondFactor(amrOf(claims));
    // The name is the hub user's, set by the gate from the hub's record; the token's email is not trusted.
    const name = userId;
    const signInMethod = signInMethodOf(claims);
    return { kind: 'org_member', type: 'user', id: userId, name, orgId, role, mfa, authTime, signInMethod };
  }
}
