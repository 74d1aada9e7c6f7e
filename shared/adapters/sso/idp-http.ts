import { ValidationError } from '../../errors';
import type { MetadataFetcher, OidcDiscovery } from '../../sso/connections';

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
