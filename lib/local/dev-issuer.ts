import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import { ORG_CLAIM, PLATFORM_ADMIN_GROUP, ROLE_CLAIM, USER_CLAIM } from '../../shared/identity/authenticate';
import type { RoleRef } from '../../shared/identity/permissions';
import { DEV_ISSUER_KEY_FILE } from './data-files';

/** The local stand-in for the Cognito user pool's token issuer: an RSA key in the data dir and its JWKS. */
export const DEV_AUDIENCE = 'hub-local-client';
export const ISSUER_PATH = '/_local/issuer';

export interface DevTokenClaims {
  readonly sub: string;
  readonly email?: string | undefined;
  readonly orgId?: string | undefined;
  readonly role?: RoleRef | undefined;
  /** The hub user the pre-token trigger mapped the sign-in to (`custom:user_id`). @default sub, for an org token */
  readonly userId?: string | undefined;
  /** Says the user passed a second factor (`amr: ["pwd", "mfa"]`). */
  readonly mfa?: boolean | undefined;
  /** How the user authenticated, as OIDC's `amr` lists it; `null` leaves the claim out (as the user pool does). @default from `mfa` */
  readonly amr?: readonly string[] | null | undefined;
  /** Further claims, as the pre-token trigger adds them (`custom:amr`). */
  readonly extraClaims?: Readonly<Record<string, string>> | undefined;
  /** When the user signed in (`auth_time`, epoch seconds): a refreshed token keeps its session's. @default now */
  readonly authTime?: number | undefined;
  readonly platformAdmin?: boolean | undefined;
  readonly ttlSeconds?: number | undefined;
  /** The token's `token_use`: the hub accepts ID tokens only. @default 'id' */
  readonly tokenUse?: 'id' | 'access' | undefined;
}

/** Creates the issuer's signing key on first use; later starts reuse it, so minted tokens stay valid. */
export async function devIssuerKey(dataDir: string): Promise<JWK> {
  const file = join(dataDir, DEV_ISSUER_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: `local-${Date.now()}`, alg: 'RS256', use: 'sig' };
    writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as JWK;
}

/** The public half, as a JWKS. */
export function publicJwks(key: JWK): { keys: JWK[] } {
  const { kty, n, e, kid, alg, use } = key;
  return { keys: [{ kty, n, e, kid, alg, use }] };
}

/** Mints an ID token shaped like Cognito's, with the claims the pre-token-generation trigger adds. */
export async function mintDevToken(key: JWK, issuer: string, claims: DevTokenClaims): Promise<string> {
  const signingKey = await importJWK(key, 'RS256');
  const tokenUse = claims.tokenUse ?? 'id';
  const amr = claims.amr === null ? {} : { amr: claims.amr ?? (claims.mfa ? ['pwd', 'mfa'] : ['pwd']) };
  const jwt = new SignJWT({
    ...claims.extraClaims,
    token_use: tokenUse,
    // An access token names its app client as Cognito's do (`client_id`, no audience).
    ...(tokenUse === 'access' ? { client_id: DEV_AUDIENCE } : {}),
    email: claims.email,
    ...(claims.orgId ? { [ORG_CLAIM]: claims.orgId } : {}),
    ...(claims.role ? { [ROLE_CLAIM]: claims.role } : {}),
    ...(claims.orgId ? { [USER_CLAIM]: claims.userId ?? claims.sub } : {}),
    ...(claims.platformAdmin ? { 'cognito:groups': [PLATFORM_ADMIN_GROUP] } : {}),
    ...amr,
    auth_time: claims.authTime ?? Math.floor(Date.now() / 1000),
  })
    .setProtectedHeader({ alg: 'RS256', kid: String(key.kid) })
    .setIssuer(issuer);
  if (tokenUse === 'id') jwt.setAudience(DEV_AUDIENCE);
  return jwt
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(signingKey);
}

/** Verifies an access token of the dev issuer as Cognito checks its own: signature, issuer, expiry, `token_use`, `client_id`. */
export async function verifyDevAccessToken(
  key: JWK,
  issuer: string,
  token: string,
): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, await importJWK(publicJwks(key).keys[0] as JWK, 'RS256'), {
    issuer,
  });
  if (payload.token_use !== 'access' || payload.client_id !== DEV_AUDIENCE) {
    throw new Error('Not an access token of this app client');
  }
  return payload as Record<string, unknown>;
}
