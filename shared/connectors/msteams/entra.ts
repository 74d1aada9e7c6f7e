import { oidcRequestOptions } from '../../adapters/sso/idp-http';

/** The bot's app registration as an OpenID client of Entra (its app id and client secret). */
export interface EntraClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** What confirming a tenant binding asks of Microsoft Entra: an authorization code flow with PKCE. */
export interface EntraSignIn {
  /** The authorization URL of `issuer` for this sign-in (`response_type=code`, S256 PKCE, state, nonce). */
  authorizationUrl(
    issuer: string,
    client: EntraClient,
    params: {
      redirectUri: string;
      state: string;
      nonce: string;
      codeChallenge: string;
      /** `login`: the person signs in again even with a Microsoft session already. */
      prompt?: 'login';
    },
  ): Promise<string>;
  /**
   * Exchanges the callback's code and checks the ID token (issuer, audience, signature, expiry,
   * state, nonce, PKCE); its claims.
   */
  exchange(
    issuer: string,
    client: EntraClient,
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<Record<string, unknown>>;
}

const openidClient = () => import('openid-client');
const CONFIG_TTL_MS = 10 * 60_000;

/**
 * Entra sign-ins on openid-client, every call (discovery, keys, token) through `fetchImpl` (the
 * egress guard): discovery kept a while per issuer and client.
 */
export function entraOpenIdClient(fetchImpl: typeof fetch): EntraSignIn {
  const configs = new Map<string, { at: number; config: Promise<unknown> }>();
  const configFor = async (issuer: string, client: EntraClient) => {
    const oidc = await openidClient();
    const key = `${issuer}#${client.clientId}#${client.clientSecret.length}`;
    const known = configs.get(key);
    if (known && Date.now() - known.at < CONFIG_TTL_MS)
      return known.config as ReturnType<typeof oidc.discovery>;
    const url = new URL(issuer);
    const config = oidc
      .discovery(
        url,
        client.clientId,
        undefined,
        oidc.ClientSecretBasic(client.clientSecret),
        await oidcRequestOptions(url, fetchImpl),
      )
      .then((c) => {
        c[oidc.customFetch] = fetchImpl as never;
        // The ID token's signature is checked against Entra's keys (its `tid` and `wids` decide).
        oidc.enableNonRepudiationChecks(c);
        return c;
      });
    config.catch(() => configs.delete(key));
    configs.set(key, { at: Date.now(), config });
    return config;
  };
  return {
    async authorizationUrl(issuer, client, params) {
      const oidc = await openidClient();
      return oidc
        .buildAuthorizationUrl(await configFor(issuer, client), {
          redirect_uri: params.redirectUri,
          scope: 'openid profile',
          state: params.state,
          nonce: params.nonce,
          code_challenge: params.codeChallenge,
          code_challenge_method: 'S256',
          ...(params.prompt ? { prompt: params.prompt } : {}),
        })
        .toString();
    },
    async exchange(issuer, client, callbackUrl, checks) {
      const oidc = await openidClient();
      const tokens = await oidc.authorizationCodeGrant(await configFor(issuer, client), callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      return claims as Record<string, unknown>;
    },
  };
}
