import { ValidationError } from '../../errors';
import type { MetadataFetcher, OidcDiscovery, SsoConnection } from '../../sso/connections';
import type { OidcClient } from '../../sso/oidc-sign-in';

const TIMEOUT_MS = 5000;
const MAX_METADATA_BYTES = 256 * 1024;

/** Loads openid-client on first use: the routes that never discover pay nothing for it. */
const openidClient = () => import('openid-client');

/** Options of openid-client for an issuer: the egress guard's fetch, the hub's timeout, http only on loopback. */
export async function oidcRequestOptions(issuer: URL, fetchImpl: typeof fetch) {
  const client = await openidClient();
  return {
    [client.customFetch]: fetchImpl as never,
    timeout: TIMEOUT_MS / 1000,
    ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
  };
}

/** Checks an issuer's discovery document (`/.well-known/openid-configuration`) names it and can be used. */
export function oidcDiscovery(fetchImpl: typeof fetch): OidcDiscovery {
  return {
    async check(issuer) {
      const client = await openidClient();
      const url = new URL(issuer);
      try {
        await client.discovery(
          url,
          'discovery-check',
          undefined,
          undefined,
          await oidcRequestOptions(url, fetchImpl),
        );
      } catch (error) {
        throw new ValidationError(
          `The issuer's discovery document cannot be used: ${(error as Error).message}`,
          [{ path: 'issuer', message: 'discovery failed' }],
        );
      }
    },
  };
}

/** Fetches SAML metadata: one GET, no redirects, bounded in time and size. */
export function metadataFetcher(fetchImpl: typeof fetch): MetadataFetcher {
  return {
    async fetch(url) {
      const refuse = (why: string) =>
        new ValidationError(`The IdP metadata cannot be fetched from ${url}: ${why}`, [
          { path: 'metadataUrl', message: why },
        ]);
      let res: Response;
      try {
        res = await fetchImpl(url, { redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
      } catch (error) {
        throw refuse((error as Error).message);
      }
      if (!res.ok) throw refuse(`HTTP ${res.status}`);
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_METADATA_BYTES) throw refuse('larger than 256 KiB');
      const body = await res.text();
      if (Buffer.byteLength(body) > MAX_METADATA_BYTES) throw refuse('larger than 256 KiB');
      return body;
    },
  };
}

const CONFIG_TTL_MS = 10 * 60_000;

/**
 * The OIDC relying party on openid-client: discovery (kept a while per connection version), the
 * authorization URL with PKCE, and the code exchange with the ID token's checks, all through the
 * egress guard's fetch. Discovery knows no client secret: the authorization URL needs none, so a
 * start decrypts nothing; the exchange alone is configured with it. Both are kept a while per
 * connection version (a new secret is a new version), so the IdP's keys, which openid-client
 * keeps per configuration, are not fetched again at every sign-in.
 */
export function openIdClient(fetchImpl: typeof fetch): OidcClient {
  const configs = new Map<string, { at: number; config: Promise<unknown> }>();
  const exchangeConfigs = new Map<string, { at: number; config: unknown }>();
  const configFor = async (connection: SsoConnection) => {
    const client = await openidClient();
    const oidc = connection.oidc;
    if (!oidc) throw new Error('Not an OIDC connection');
    const key = `${connection.id}#${connection.updatedAt}`;
    const known = configs.get(key);
    if (known && Date.now() - known.at < CONFIG_TTL_MS)
      return known.config as ReturnType<typeof client.discovery>;
    const url = new URL(oidc.issuer);
    const config = client
      .discovery(url, oidc.clientId, undefined, client.None(), await oidcRequestOptions(url, fetchImpl))
      .then((c) => configured(client, c));
    config.catch(() => configs.delete(key));
    configs.set(key, { at: Date.now(), config });
    return config;
  };
  const configured = <C extends { timeout?: number | undefined }>(
    client: Awaited<ReturnType<typeof openidClient>>,
    c: C,
    issuer?: URL,
  ): C => {
    (c as Record<symbol, unknown>)[client.customFetch] = fetchImpl;
    c.timeout = TIMEOUT_MS / 1000;
    // A loopback issuer on http (the local runtime's): as discovery allowed it.
    if (issuer?.protocol === 'http:') client.allowInsecureRequests(c as never);
    return c;
  };
  return {
    async authorizationUrl(connection, params) {
      const client = await openidClient();
      const config = await configFor(connection);
      return client
        .buildAuthorizationUrl(config, {
          redirect_uri: params.redirectUri,
          scope: (connection.oidc?.scopes ?? ['openid']).join(' '),
          state: params.state,
          nonce: params.nonce,
          code_challenge: params.codeChallenge,
          code_challenge_method: 'S256',
          ...(params.loginHint ? { login_hint: params.loginHint } : {}),
        })
        .toString();
    },
    async exchange(connection, clientSecret, callbackUrl, checks) {
      const client = await openidClient();
      const discovered = await configFor(connection);
      const key = `${connection.id}#${connection.updatedAt}`;
      const known = exchangeConfigs.get(key);
      let config =
        known && Date.now() - known.at < CONFIG_TTL_MS ? (known.config as typeof discovered) : null;
      if (!config) {
        config = configured(
          client,
          new client.Configuration(
            discovered.serverMetadata(),
            discovered.clientMetadata().client_id,
            undefined,
            client.ClientSecretBasic(clientSecret),
          ),
          new URL(connection.oidc?.issuer ?? 'https://invalid'),
        );
        // The ID token's signature too, against the IdP's published keys, not TLS to its token
        // endpoint alone: an answer a man in the middle made is refused.
        client.enableNonRepudiationChecks(config);
        exchangeConfigs.set(key, { at: Date.now(), config });
      }
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
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
