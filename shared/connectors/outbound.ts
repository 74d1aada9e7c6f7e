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
