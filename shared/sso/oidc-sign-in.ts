import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { cookieSecure, parseCookieHeader } from '../http/cookies';
import { ID_PATTERN } from '../ids';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import type { SsoIdentity } from './complete-sign-in';
import type { SsoConnection } from './connections';
import { oidcRedirectUri, ssoSecretContext } from './connections';
import { SignInRefusedError } from './sign-in-failures';

/** An authorization request under way: what its callback must match, kept until then (single use). */
export interface PendingOidcSignIn {
  readonly orgId: string;
  readonly connectionId: string;
  readonly stateHash: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The hash of the cookie the browser that started the sign-in got: the callback must come with it. */
  readonly browserHash: string;
  readonly expiresAt: string;
}

export interface PendingOidcStore {
  remember(pending: PendingOidcSignIn): Promise<void>;
  /** Removes and returns it, at most once. */
  take(orgId: string, stateHash: string): Promise<PendingOidcSignIn | null>;
}

/** What the hub asks of an OpenID Provider (openid-client behind the egress guard, in the adapter). */
export interface OidcClient {
  /** Needs no client secret: a start (which anyone may call) decrypts nothing. */
  authorizationUrl(
    connection: SsoConnection,
    params: { redirectUri: string; state: string; nonce: string; codeChallenge: string; loginHint?: string },
  ): Promise<string>;
  /** Exchanges the code and checks the ID token (issuer, audience, signature, expiry, nonce); its claims. */
  exchange(
    connection: SsoConnection,
    clientSecret: string,
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<Record<string, unknown>>;
}

const REQUEST_TTL_MS = 10 * 60_000;
/** Where the browser binding cookie goes: the callback alone. */
const CALLBACK_PATH = '/sso/oidc/callback';
const cookieName = (state: string) => `hub-sso-${hashOf(state).slice(0, 16)}`;
const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
/** `amr` values that mean a second factor (RFC 8176), as IdPs send them. */
const MFA_AMR = new Set([
  'mfa',
  'otp',
  'hwk',
  'swk',
  'sms',
  'fpt',
  'face',
  'iris',
  'retina',
  'vbm',
  'sc',
  'pop',
]);

const hashOf = (state: string) => createHash('sha256').update(state).digest('base64url');
const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** The state names its org (so the callback finds the request in that org's partition) and 32 random bytes. */
const newState = (orgId: string) => `${orgId}.${base64url(randomBytes(32))}`;
const orgOfState = (state: string): string | null => {
  const [orgId, random, ...rest] = state.split('.');
  return rest.length === 0 && orgId && ID_PATTERN('org').test(orgId) && random && /^[\w-]{43}$/.test(random)
    ? orgId
    : null;
};

/** The OIDC authorization code flow with PKCE, state and nonce, for one org's connection at a time. */
export function makeOidcSignIn(deps: {
  pending: PendingOidcStore;
  client: OidcClient;
  cipher: SecretCipher;
  clock: Clock;
  publicUrl: string;
}) {
  const secretOf = async (connection: SsoConnection) => {
    if (!connection.encryptedSecret)
      throw new SignInRefusedError('oidc_idp_error', 'The connection has no client secret');
    return deps.cipher.decrypt(connection.encryptedSecret, ssoSecretContext(connection.orgId, connection.id));
  };
  return {
    /**
     * The IdP URL to send the browser to, and the cookie that binds the sign-in to that browser
     * (login CSRF: a callback someone else's sign-in made, forced on this browser, lacks it).
     */
    async start(
      connection: SsoConnection,
      loginHint?: string,
    ): Promise<{ location: string; cookie: string }> {
      const state = newState(connection.orgId);
      const browser = base64url(randomBytes(32));
      const nonce = base64url(randomBytes(32));
      const codeVerifier = base64url(randomBytes(32));
      const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
      await deps.pending.remember({
        orgId: connection.orgId,
        connectionId: connection.id,
        stateHash: hashOf(state),
        nonce,
        codeVerifier,
        browserHash: hashOf(browser),
        expiresAt: new Date(deps.clock.now().getTime() + REQUEST_TTL_MS).toISOString(),
      });
      const secure = cookieSecure(deps.publicUrl) ? '; Secure' : '';
      const cookie = `${cookieName(state)}=${browser}; Max-Age=${REQUEST_TTL_MS / 1000}; Path=${CALLBACK_PATH}; HttpOnly; SameSite=Lax${secure}`;
      const location = await deps.client.authorizationUrl(connection, {
        redirectUri: oidcRedirectUri(deps.publicUrl),
        state,
        nonce,
        codeChallenge,
        ...(loginHint ? { loginHint } : {}),
      });
      return { location, cookie };
    },

    /**
     * The callback: the state must be one the hub issued, unused and unexpired; then the code is
     * exchanged and the ID token checked. `connection` finds the connection the request was for.
     */
    async callback(
      callbackUrl: URL,
      cookieHeader: string | undefined,
      connectionOf: (orgId: string, connectionId: string) => Promise<SsoConnection | null>,
    ): Promise<
      | { connection: SsoConnection; identity: SsoIdentity }
      | { refused: SignInRefusedError; orgId?: string; connectionId?: string }
    > {
      const state = callbackUrl.searchParams.get('state') ?? '';
      const orgId = state.length <= 200 ? orgOfState(state) : null;
      if (!orgId)
        return {
          refused: new SignInRefusedError('oidc_state_unknown', 'The sign-in is unknown; start again'),
        };
      const pending = await deps.pending.take(orgId, hashOf(state));
      if (!pending)
        return {
          refused: new SignInRefusedError(
            'oidc_state_unknown',
            'The sign-in is unknown or was used; start again',
          ),
        };
      const where = { orgId, connectionId: pending.connectionId };
      const browser = parseCookieHeader(cookieHeader).get(cookieName(state));
      if (!browser || !sameHash(hashOf(browser), pending.browserHash))
        return {
          ...where,
          refused: new SignInRefusedError(
            'oidc_browser_mismatch',
            'The sign-in came back to another browser than the one that started it',
          ),
        };
      if (Date.parse(pending.expiresAt) < deps.clock.now().getTime())
        return {
          ...where,
          refused: new SignInRefusedError('oidc_state_expired', 'The sign-in took too long; start again'),
        };
      const connection = await connectionOf(orgId, pending.connectionId);
      if (!connection?.oidc)
        return {
          ...where,
          refused: new SignInRefusedError('connection_disabled', 'The SSO connection is gone'),
        };
      const idpError = callbackUrl.searchParams.get('error');
      if (idpError)
        return {
          ...where,
          refused: new SignInRefusedError('oidc_idp_error', `The IdP answered ${idpError.slice(0, 100)}`),
        };
      let claims: Record<string, unknown>;
      try {
        claims = await deps.client.exchange(connection, await secretOf(connection), callbackUrl, {
          state,
          nonce: pending.nonce,
          codeVerifier: pending.codeVerifier,
        });
      } catch (error) {
        return {
          ...where,
          refused: new SignInRefusedError(
            'oidc_response_invalid',
            `The IdP's answer was refused: ${String((error as Error).message).slice(0, 200)}`,
          ),
        };
      }
      if (typeof claims.sub !== 'string' || claims.sub === '')
        return {
          ...where,
          refused: new SignInRefusedError('oidc_response_invalid', 'The ID token has no subject (sub)'),
        };
      if (typeof claims.email !== 'string')
        return {
          ...where,
          refused: new SignInRefusedError('email_missing', 'The ID token has no email claim'),
        };
      const verified = claims.email_verified === true || claims.email_verified === 'true';
      // Entra's optional `xms_edov`: whether the email's domain owner verified it; false is refused.
      const domainUnverified = claims.xms_edov === false || claims.xms_edov === 'false';
      if (
        claims.email_verified === false ||
        domainUnverified ||
        (!verified && connection.oidc.requireEmailVerified !== false)
      )
        return {
          ...where,
          refused: new SignInRefusedError(
            'email_unverified',
            claims.email_verified === undefined
              ? "The ID token does not say the email is verified (email_verified); an IdP that never sends it needs the connection's requireEmailVerified: false"
              : 'The IdP says the email is not verified',
          ),
        };
      const groups = claims[connection.oidc.groupsClaim];
      const amr = Array.isArray(claims.amr) ? claims.amr.map(String) : [];
      return {
        connection,
        identity: {
          subject: claims.sub,
          email: claims.email,
          name: typeof claims.name === 'string' ? claims.name : undefined,
          groups: Array.isArray(groups) ? groups.map(String).slice(0, 200) : [],
          mfa: amr.some((m) => MFA_AMR.has(m)),
        },
      };
    },
  };
}

export type OidcSignIn = ReturnType<typeof makeOidcSignIn>;
