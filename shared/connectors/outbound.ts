import type { Connection, ConnectionCredentials } from './connection';

/**
 * A provider's outbound side, as far as it is built: a dry call that proves the connection's
 * credentials and server work. Failures are the hub's provider errors (`ProviderAuthError`,
 * `ProviderRateLimitedError`, `ProviderUnavailableError`, `ProviderNotFoundError`), so the one
 * failure policy applies to them wherever they happen.
 */
export interface ProviderProbe {
  test(connection: Connection, credentials: ConnectionCredentials): Promise<Record<string, unknown>>;
}

/**
 * What the hub says about a provider's answer: its HTTP status and a hub-written phrase, never the
 * server's body (a connection's server is whatever its tenant named, and its text could be anything).
 */
export function providerAnswer(provider: string, status: number | undefined): string {
  if (status === undefined || !Number.isInteger(status) || status < 100 || status > 599)
    return `${provider} did not answer`;
  if (status === 401) return `${provider} refused the credentials (HTTP 401)`;
  if (status === 403) return `${provider} refused access (HTTP 403)`;
  if (status === 404) return `${provider} has no such resource (HTTP 404)`;
  if (status === 429) return `${provider} rate-limited the hub (HTTP 429)`;
  if (status >= 400 && status < 500) return `${provider} refused the request (HTTP ${status})`;
  if (status >= 500) return `${provider} failed (HTTP ${status})`;
  return `${provider} answered HTTP ${status}`;
}
