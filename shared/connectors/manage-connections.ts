import type { RequestContext } from '../audit/audit-record';
import { auditBySystem, auditChange } from '../audit/audit-record';
import { ConflictError, HubError, NotFoundError, ProviderAuthError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import { UndecryptableSecretError } from '../ports/secret-cipher';
import type { AuditStore, ConnectionStore } from '../ports/stores';
import type { Connection, ConnectionCredentials, Provider, WebhookRoute } from './connection';
import { ConnectionCredentialsSchema } from './connection';
import { newWebhookSecret, secretContext } from './create-connection';
import type { ProviderProbe } from './outbound';
import type { ProviderCatalog } from './provider-catalog';

interface Deps {
  readonly connections: ConnectionStore;
  readonly clock: Clock;
}

async function requireConnection(connections: ConnectionStore, orgId: string, connectionId: string) {
  const connection = await connections.get(orgId, connectionId);
  if (!connection) throw new NotFoundError(`No connection ${connectionId}`);
  return connection;
}

async function routeOf(connections: ConnectionStore, connection: Connection): Promise<WebhookRoute> {
  const route = await connections.findWebhookRoute(connection.id);
  if (!route || route.orgId !== connection.orgId) throw new NotFoundError(`No connection ${connection.id}`);
  return route;
}

export function makeGetConnection(deps: Pick<Deps, 'connections'>) {
  return (orgId: string, connectionId: string) => requireConnection(deps.connections, orgId, connectionId);
}

/** Why a connection's credentials were cleared when it was pointed at another server. */
export const SERVER_CHANGED =
  'The base URL changed, so the credentials were cleared: credentials entered for one server are never sent to another. Set them again for the new server.';

/**
 * Renames a connection or points it at another server of its provider. Credentials belong to the
 * server they were entered for: a new base URL clears them, marks the connection as needing
 * attention with the reason, and says so on the trail, in the same transaction.
 */
export function makeUpdateConnection(deps: Deps & { providers: Pick<ProviderCatalog, 'baseUrlFor'> }) {
  return async (
    orgId: string,
    connectionId: string,
    patch: { name?: string | undefined; config?: { baseUrl?: string | null | undefined } | undefined },
    principal: Principal,
    request: RequestContext,
  ): Promise<Connection> => {
    const current = await requireConnection(deps.connections, orgId, connectionId);
    const at = deps.clock.now();
    const config =
      patch.config?.baseUrl === undefined
        ? current.config
        : { baseUrl: deps.providers.baseUrlFor(current.provider, patch.config.baseUrl) };
    const moved = config.baseUrl !== current.config.baseUrl;
    const hadCredentials =
      current.credentials !== null ||
      (await deps.connections.encryptedCredentials(orgId, connectionId)) !== null;
    const clear = moved && hadCredentials;
    const next: Connection = {
      ...current,
      name: patch.name ?? current.name,
      config,
      ...(clear
        ? {
            credentials: null,
            status: current.status === 'disabled' ? 'disabled' : 'needs_attention',
            lastError: { message: SERVER_CHANGED, at: at.toISOString() },
          }
        : {}),
      updatedAt: at.toISOString(),
    };
    const audit = auditChange({
      action: 'connection.updated',
      principal,
      orgId,
      targets: [{ type: 'connection', id: connectionId }],
      request,
      at,
      before: {
        name: current.name,
        baseUrl: current.config.baseUrl,
        ...(clear ? { status: current.status } : {}),
      },
      after: {
        name: next.name,
        baseUrl: next.config.baseUrl,
        ...(clear ? { status: next.status, credentialsCleared: true, reason: SERVER_CHANGED } : {}),
      },
    });
    await deps.connections.save(next, current, await routeOf(deps.connections, current), audit, {
      clearCredentials: clear,
    });
    return next;
  };
}

/** Disables a connection (its webhooks are refused at once) or enables it again. */
export function makeSetConnectionStatus(deps: Deps) {
  return async (
    orgId: string,
    connectionId: string,
    status: 'active' | 'disabled',
    principal: Principal,
    request: RequestContext,
  ): Promise<Connection> => {
    const current = await requireConnection(deps.connections, orgId, connectionId);
    if (current.status === status) throw new ConflictError(`Connection ${connectionId} is already ${status}`);
    const at = deps.clock.now();
    // Enabling also clears a `needs_attention` state: the admin says the credentials are fixed.
    const next: Connection = {
      ...current,
      status,
      ...(status === 'active' ? { lastError: null } : {}),
      updatedAt: at.toISOString(),
    };
    const audit = auditChange({
      action: status === 'active' ? 'connection.enabled' : 'connection.disabled',
      principal,
      orgId,
      targets: [{ type: 'connection', id: connectionId }],
      request,
      at,
      before: { status: current.status },
      after: { status },
    });
    const route = await routeOf(deps.connections, current);
    await deps.connections.save(next, current, { ...route, status }, audit);
    return next;
  };
}

export function makeDeleteConnection(deps: Deps) {
  return async (orgId: string, connectionId: string, principal: Principal, request: RequestContext) => {
    const current = await requireConnection(deps.connections, orgId, connectionId);
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'connection.deleted',
      principal,
      orgId,
      targets: [{ type: 'connection', id: connectionId }],
      request,
      at,
      before: { provider: current.provider, name: current.name },
    });
    await deps.connections.remove(current, audit);
  };
}

/**
 * Issues a new webhook secret, shown once. The old one keeps verifying deliveries for the overlap,
 * so nothing the provider sends while its settings are being changed is refused.
 */
export function makeRotateConnectionSecret(deps: Deps & { cipher: SecretCipher }) {
  return async (
    orgId: string,
    connectionId: string,
    overlapSeconds: number,
    principal: Principal,
    request: RequestContext,
  ): Promise<{ connection: Connection; webhookSecret: string }> => {
    const current = await requireConnection(deps.connections, orgId, connectionId);
    const route = await routeOf(deps.connections, current);
    const at = deps.clock.now();
    const previousSecretExpiresAt = new Date(at.getTime() + overlapSeconds * 1000).toISOString();
    const webhookSecret = newWebhookSecret();
    const encryptedSecret = await deps.cipher.encrypt(webhookSecret, secretContext(orgId, connectionId));
    const next: Connection = { ...current, previousSecretExpiresAt, updatedAt: at.toISOString() };
    const audit = auditChange({
      action: 'connection.secret_rotated',
      principal,
      orgId,
      targets: [{ type: 'connection', id: connectionId }],
      request,
      at,
      after: { previousSecretExpiresAt },
    });
    await deps.connections.save(
      next,
      current,
      {
        ...route,
        encryptedSecret,
        previousEncryptedSecret: route.encryptedSecret,
        previousSecretExpiresAt,
      },
      audit,
    );
    return { connection: next, webhookSecret };
  };
}

/**
 * Marks a connection whose credentials the provider refused: its work is parked instead of
 * retried, and its status and last error say why, until an admin fixes it and enables it again.
 */
export function makeMarkNeedsAttention(deps: Deps) {
  return async (orgId: string, connectionId: string, reason: string): Promise<void> => {
    const current = await deps.connections.get(orgId, connectionId);
    if (!current || current.status === 'disabled') return;
    const at = deps.clock.now();
    const next: Connection = {
      ...current,
      status: 'needs_attention',
      lastError: { message: reason, at: at.toISOString() },
      updatedAt: at.toISOString(),
    };
    const audit = auditBySystem({
      action: 'connection.needs_attention',
      actor: 'hub-workers',
      orgId,
      targets: [{ type: 'connection', id: connectionId }],
      requestId: connectionId,
      at,
      outcome: 'failed',
      before: { status: current.status },
      after: { status: next.status, reason },
    });
    await deps.connections.save(next, current, await routeOf(deps.connections, current), audit);
  };
}

/**
 * The server a connection's credentials are for: its base URL's origin (a connection stores its
 * provider's default when it gives none, see `ProviderCatalog.baseUrlFor`), or none.
 */
export function credentialsServer(connection: Pick<Connection, 'provider' | 'config'>): string {
  const baseUrl = connection.config.baseUrl;
  return baseUrl ? new URL(baseUrl).origin : 'none';
}

/**
 * The encryption context that binds a connection's provider credentials to it and to the server
 * they were entered for: they decrypt for no other, whatever a read of the connection returns.
 */
export const credentialsContext = (orgId: string, connectionId: string, server: string) => ({
  orgId,
  connectionId,
  purpose: 'provider-credentials',
  server,
});

/** Why stored credentials that do not decrypt for the connection's server are not used. */
export const CREDENTIALS_FOR_ANOTHER_SERVER =
  "The stored credentials were entered for another server than the connection's: set them again for its server.";

/**
 * The connection's stored credentials, decrypted for the server it points at. Credentials entered
 * for another server are no usable credentials: ProviderAuthError (the connection needs attention).
 */
export async function openCredentials(
  cipher: SecretCipher,
  connection: Connection,
  encrypted: string,
): Promise<ConnectionCredentials> {
  const context = credentialsContext(connection.orgId, connection.id, credentialsServer(connection));
  const plain = await cipher.decrypt(encrypted, context).catch((error: unknown) => {
    if (error instanceof UndecryptableSecretError)
      throw new ProviderAuthError(CREDENTIALS_FOR_ANOTHER_SERVER);
    throw error;
  });
  return ConnectionCredentialsSchema.parse(JSON.parse(plain));
}

/** Sets the connection's provider credentials: encrypted at rest, never returned, only summarised. */
export function makeSetConnectionCredentials(
  deps: Deps & { cipher: SecretCipher; providers: Pick<ProviderCatalog, 'checkCredentials' | 'summarise'> },
) {
  return async (
    orgId: string,
    connectionId: string,
    credentials: ConnectionCredentials,
    principal: Principal,
    request: RequestContext,
  ): Promise<Connection> => {
    // Read consistently: the credentials are encrypted for the server the connection points at now.
    const current = (await deps.connections.withCredentials(orgId, connectionId))?.connection;
    if (!current) throw new NotFoundError(`No connection ${connectionId}`);
    // The provider takes this kind, and what else its credentials name (a token endpoint) may be called.
    deps.providers.checkCredentials(current.provider, credentials);
    const at = deps.clock.now();
    const summary = deps.providers.summarise(credentials, at);
    const next: Connection = { ...current, credentials: summary, updatedAt: at.toISOString() };
    const encrypted = await deps.cipher.encrypt(
      JSON.stringify(credentials),
      credentialsContext(orgId, connectionId, credentialsServer(current)),
    );
    const audit = auditChange({
      action: 'connection.credentials_set',
      principal,
      orgId,
      targets: [{ type: 'connection', id: connectionId }],
      request,
      at,
      // The summary only: secrets never reach the trail.
      after: summary,
    });
    await deps.connections.setCredentials(next, encrypted, audit);
    return next;
  };
}

/**
 * A dry call to the provider with the connection's credentials. A refusal marks the connection as
 * needing attention with the reason; a success after that makes it active again.
 */
export function makeTestConnection(
  deps: Deps & {
    cipher: SecretCipher;
    audit: Pick<AuditStore, 'append'>;
    /** Each provider's probe (`ProviderCatalog.probes`); a provider with none has nothing to test. */
    probes: Readonly<Record<Provider, ProviderProbe>>;
  },
) {
  const markNeedsAttention = makeMarkNeedsAttention(deps);
  return async (orgId: string, connectionId: string, principal: Principal, request: RequestContext) => {
    // The connection and its credentials from one consistent read: never a new server with the old ones.
    const found = await deps.connections.withCredentials(orgId, connectionId);
    if (!found) throw new NotFoundError(`No connection ${connectionId}`);
    const current = found.connection;
    const probe = deps.probes[current.provider];
    if (!probe) throw new ValidationError(`A ${current.provider} connection has nothing to test`);
    if (!found.encryptedCredentials) throw new ConflictError("Set the connection's credentials first");
    // Credentials for another server are a refusal like the provider's, without calling anyone.
    const opened = await openCredentials(deps.cipher, current, found.encryptedCredentials).catch(
      (error: unknown) => {
        if (error instanceof ProviderAuthError) return error;
        throw error;
      },
    );
    const started = deps.clock.now();
    let result: { ok: true; details: Record<string, unknown> } | { ok: false; error: string; kind: string };
    try {
      if (opened instanceof ProviderAuthError) throw opened;
      result = { ok: true, details: await probe.test(current, opened) };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      // Only the hub's own errors say what happened; anything else might carry what the server sent.
      const message = failure instanceof HubError ? failure.message.slice(0, 300) : 'The call failed';
      result = { ok: false, error: message, kind: failure instanceof HubError ? failure.name : 'Error' };
      if (failure instanceof ProviderAuthError) await markNeedsAttention(orgId, connectionId, message);
    }
    const latencyMs = deps.clock.now().getTime() - started.getTime();
    await deps.audit.append(
      auditChange({
        action: 'connection.tested',
        principal,
        orgId,
        targets: [{ type: 'connection', id: connectionId }],
        request,
        at: deps.clock.now(),
        outcome: result.ok ? 'success' : 'failed',
        after: result.ok ? { latencyMs } : { latencyMs, error: result.error },
      }),
    );
    if (result.ok && current.status === 'needs_attention') {
      await makeSetConnectionStatus(deps)(orgId, connectionId, 'active', principal, request);
    }
    return {
      ...result,
      latencyMs,
      connection: await requireConnection(deps.connections, orgId, connectionId),
    };
  };
}
