import type { Connection } from '../connectors/connection';
import { openCredentials } from '../connectors/manage-connections';
import type {
  AccessTokens,
  CodeHostClient,
  CodeHostConnector,
  Identity,
  Role,
  TrackerClient,
  TrackerConnector,
  WorkItemClient,
  WorkItemConnector,
} from '../connectors/work-items';
import { ConflictError, NotFoundError, ProviderUnavailableError, ValidationError } from '../errors';
import { logger } from '../observability/observability';
import type { SecretCipher } from '../ports/secret-cipher';
import type { ConnectionStore } from '../ports/stores';
import { TtlCache } from '../ttl-cache';

export interface TrackerSide {
  readonly connector: TrackerConnector;
  readonly client: TrackerClient;
}
export interface CodeHostSide {
  readonly connector: CodeHostConnector;
  readonly client: CodeHostClient;
}

/** The provider clients the sync engine writes through, per connection, whatever the provider. */
export interface SyncProviders {
  tracker(orgId: string, connectionId: string): Promise<TrackerSide>;
  codeHost(orgId: string, connectionId: string): Promise<CodeHostSide>;
  /** How the hub appears on a connection (its changes coming back are not synced again). */
  identity(orgId: string, connectionId: string, role: Role): Promise<Identity>;
  /** Forgets a connection's cached client, after the provider refused its credentials. */
  forget(connectionId: string): void;
}

/**
 * How long one provider call may take: well under the workers' timeouts (60 s for sync, 120 s for
 * scans), so a server that stops answering fails fast, as an outage retried with backoff, instead
 * of holding the worker (and the org's share of them) until Lambda kills it.
 */
export const PROVIDER_CALL_TIMEOUT_MS = 20_000;

/** The client with every asynchronous call bounded in time; a call that takes longer is a provider outage. */
export function boundedClient<T extends WorkItemClient>(client: T, provider: string, timeoutMs: number): T {
  return new Proxy(client, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ProviderUnavailableError(
                  `${provider}: ${String(name)} did not answer within ${Math.round(timeoutMs / 1000)} s`,
                ),
              ),
            timeoutMs,
          );
        });
        // The late answer, if it ever comes, is dropped; its failure must not surface unhandled.
        result.catch(() => {});
        return Promise.race([result, expired]).finally(() => clearTimeout(timer));
      };
    },
  });
}

/** The work-item connectors by provider: the modules' sync parts, or others (a test's own providers). */
export type WorkItemConnectors = Readonly<Partial<Record<string, WorkItemConnector>>>;

/** The connector that plays `role` for a provider among `connectors` (the composition's), if one does. */
export function workItemConnector(
  provider: string,
  role: Role | undefined,
  connectors: WorkItemConnectors,
): WorkItemConnector | undefined {
  const connector = connectors[provider];
  return connector && (role === undefined || connector.role === role) ? connector : undefined;
}

/**
 * Provider clients built from each connection's decrypted credentials, kept for a minute per
 * execution environment: one KMS call and one read per connection per minute, not per change.
 * A disabled connection syncs nothing: its work is parked with the reason and can be redriven.
 */
export function makeSyncProviders(deps: {
  connections: Pick<ConnectionStore, 'withCredentials'> & Partial<Pick<ConnectionStore, 'recordHubActor'>>;
  cipher: SecretCipher;
  /** Each provider's access tokens, by provider id, for its OAuth connections (`providerTokens()`). */
  tokens?: Readonly<Record<string, AccessTokens>>;
  ttlMs?: number;
  /** The providers that can take part: the modules' sync parts (`ProviderCatalog.syncConnectors`). */
  connectors: WorkItemConnectors;
  /** How long one provider call may take (`PROVIDER_CALL_TIMEOUT_MS` unless set). */
  callTimeoutMs?: number;
}): SyncProviders {
  const cache = new TtlCache<Promise<{ connector: WorkItemConnector; client: WorkItemClient }>>(
    deps.ttlMs ?? 60_000,
  );
  const identities = new TtlCache<Promise<Identity>>(3_600_000);
  // The credentials each connection's client was opened with: the hub's identity is recorded for those alone.
  const opened = new Map<string, string>();

  async function open(orgId: string, connectionId: string, role: Role) {
    // One consistent read of the connection with its credentials: never a new server with the old ones.
    const found = await deps.connections.withCredentials(orgId, connectionId);
    if (!found) throw new NotFoundError(`Connection ${connectionId} does not exist`);
    const connection: Connection = found.connection;
    const connector = workItemConnector(connection.provider, role, deps.connectors);
    if (!connector)
      throw new ValidationError(
        `Connection ${connectionId} (${connection.provider}) cannot be a sync's ${role === 'tracker' ? 'tracker' : 'code host'}`,
      );
    if (connection.status === 'disabled') throw new ValidationError(`Connection ${connectionId} is disabled`);
    if (!found.encryptedCredentials) throw new ConflictError(`Connection ${connectionId} has no credentials`);
    // Credentials entered for another server do not decrypt for this one: ProviderAuthError, nothing sent.
    const credentials = await openCredentials(deps.cipher, connection, found.encryptedCredentials);
    const client = boundedClient(
      connector.open(connection, credentials, { accessTokens: deps.tokens?.[connection.provider] }),
      connector.displayName,
      deps.callTimeoutMs ?? PROVIDER_CALL_TIMEOUT_MS,
    );
    opened.set(connectionId, found.encryptedCredentials);
    return { connector, client };
  }

  const get = (orgId: string, connectionId: string, role: Role) => {
    const key = `${orgId}:${connectionId}:${role}`;
    let side = cache.get(key);
    if (!side) {
      side = cache.set(key, open(orgId, connectionId, role));
      side.catch(() => cache.delete(key));
    }
    return side;
  };

  return {
    tracker: (orgId, connectionId) => get(orgId, connectionId, 'tracker') as Promise<TrackerSide>,
    codeHost: (orgId, connectionId) => get(orgId, connectionId, 'codeHost') as Promise<CodeHostSide>,
    identity: (orgId, connectionId, role) => {
      const known = identities.get(connectionId);
      if (known) return known;
      const pending = get(orgId, connectionId, role).then(async (side) => {
        const identity = await side.client.identity();
        const encrypted = opened.get(connectionId);
        // Recorded on the webhook route, the endpoint recognises the hub's writes coming back by
        // their actor and keeps them off the sync queue; a failure to record only costs that saving.
        await deps.connections
          .recordHubActor?.(orgId, connectionId, identity.actor, encrypted ?? '')
          .catch((error: unknown) =>
            logger.warn('Could not record the hub identity', { error: error as Error }),
          );
        return identity;
      });
      pending.catch(() => identities.delete(connectionId));
      return identities.set(connectionId, pending);
    },
    forget: (connectionId) => {
      cache.deleteWhere((key) => key.includes(`:${connectionId}:`));
      identities.delete(connectionId);
      for (const connector of Object.values(deps.connectors)) connector?.forget?.(connectionId);
    },
  };
}
