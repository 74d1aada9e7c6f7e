import { randomUUID } from 'node:crypto';
import { auditBySystem } from '../audit/audit-record';
import { egressFetch, egressRefusal } from '../egress';
import {
  ConflictError,
  DependencyUnavailableError,
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../errors';
import { UndecryptableSecretError } from '../ports/secret-cipher';
import type { Connection } from './connection';
import { CREDENTIALS_FOR_ANOTHER_SERVER, credentialsContext, credentialsServer } from './manage-connections';
import type { TokenSourceDeps } from './provider-module';

/** An access token is refreshed this long before it expires, so no call goes out with a dying one. */
const EARLY_MS = 60_000;
const LOCK_MS = 30_000;
const WAIT_STEP_MS = 100;
const WAIT_STEPS = 100;
/** Tries at storing rotated tokens before giving up for now (and keeping them for the next attempt). */
const STORE_ATTEMPTS = 3;
/** The OAuth error codes (RFC 6749 §5.2) the hub repeats; anything else a token endpoint says is not. */
const OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

/** What every OAuth credential kind keeps: the refresh token, and the access token the hub holds. */
export interface RefreshableCredentials {
  readonly kind: string;
  readonly refreshToken: string;
  readonly accessToken?: string | undefined;
  readonly expiresAt?: number | undefined;
}

/** How one provider refreshes: its name for messages, its lock, and the request its token endpoint takes. */
export interface OAuthProvider<C extends RefreshableCredentials> {
  /** For messages and the audit trail: `Jira OAuth: the refresh was refused (HTTP 400)`. */
  readonly name: string;
  /** The lock's name prefix, one lock per connection: `<prefix>#<connectionId>`. */
  readonly lockPrefix: string;
  /** The audit record's system actor. */
  readonly auditActor: string;
  /** The connection's stored credentials (encrypted), decrypted and checked to be this provider's OAuth kind. */
  open(connection: Connection, encrypted: string): Promise<C>;
  /** The refresh request (`grant_type=refresh_token`) for the connection's current credentials. */
  refreshRequest(
    current: C,
    connection: Connection,
  ):
    | { url: string; headers: Record<string, string>; body: string }
    | Promise<{ url: string; headers: Record<string, string>; body: string }>;
}

/** The rotated tokens could not be stored: the lock stays held, so no other worker spends the dead refresh token. */
class UnsavedTokensError extends DependencyUnavailableError {}

/**
 * Access tokens for OAuth 2.0 connections whose provider rotates the refresh token on every refresh
 * (Atlassian, GitLab): the old one stops working, so a refresh must happen once per connection,
 * never in two workers at a time. A lock per connection (a conditional write) lets one worker
 * refresh and store the new tokens; the others wait and read what it stored. Within one execution
 * environment concurrent callers share one refresh. New tokens are stored (encrypted) before the
 * access token is used; if storing fails they are kept, with the lock, and stored first on the next
 * attempt, so a failure between the exchange and the store never costs the grant (a new consent).
 */
export function makeOAuthTokenSource<C extends RefreshableCredentials>(
  provider: OAuthProvider<C>,
  deps: TokenSourceDeps & { fetch?: typeof fetch },
) {
  const call = deps.fetch ?? egressFetch();
  const inFlight = new Map<string, Promise<string>>();
  /** Tokens by connection and server, with the stored ciphertext they belong to: credentials set anew never get an old token. */
  const cached = new Map<string, { token: string; expiresAt: number; from: string }>();
  /** Tokens the provider issued that are not stored yet, from which stored credentials, and the lock kept for them. */
  const unsaved = new Map<string, { next: C; from: string; owner: string; lockedUntil: number }>();
  const fresh = (c: { accessToken?: string | undefined; expiresAt?: number | undefined }) =>
    c.accessToken !== undefined && (c.expiresAt ?? 0) - EARLY_MS > deps.clock.now().getTime();

  /**
   * The connection and its encrypted credentials, from one consistent read, if it still points at
   * `baseUrl`, the server the caller's client sends the token to; ProviderAuthError if it moved.
   */
  async function stored(orgId: string, connectionId: string, baseUrl: string) {
    const found = await deps.connections.withCredentials(orgId, connectionId);
    if (!found?.encryptedCredentials)
      throw new ValidationError(`Connection ${connectionId} has no credentials`);
    if (found.connection.config.baseUrl !== baseUrl)
      throw new ProviderAuthError(
        `Connection ${connectionId} now points at another server: its token is not sent to the one it left`,
      );
    return { connection: found.connection, encrypted: found.encryptedCredentials };
  }

  async function read(orgId: string, connectionId: string, baseUrl: string) {
    const { connection, encrypted } = await stored(orgId, connectionId, baseUrl);
    return { connection, encrypted, credentials: await provider.open(connection, encrypted) };
  }

  async function exchange(current: C, connection: Connection): Promise<C> {
    const request = await provider.refreshRequest(current, connection);
    let response: Response;
    try {
      response = await call(request.url, {
        method: 'POST',
        headers: { accept: 'application/json', ...request.headers },
        body: request.body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      const refused = egressRefusal(cause);
      if (refused) throw refused;
      throw new ProviderUnavailableError(`${provider.name}: the token endpoint did not answer`, { cause });
    }
    if (response.status === 429) {
      const wait = Number(response.headers.get('retry-after') ?? 60);
      throw new ProviderRateLimitedError(
        `${provider.name}: rate limited (HTTP 429)`,
        Number.isFinite(wait) ? Math.min(Math.max(1, wait), 3600) : 60,
      );
    }
    if (response.status >= 500)
      throw new ProviderUnavailableError(
        `${provider.name}: the token endpoint failed (HTTP ${response.status})`,
      );
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== 'string') {
      // invalid_grant: the refresh token was revoked or already used. Only a new consent fixes it.
      const code = typeof body.error === 'string' && OAUTH_ERRORS.has(body.error) ? `, ${body.error}` : '';
      throw new ProviderAuthError(
        `${provider.name}: the refresh was refused (HTTP ${response.status}${code})`,
      );
    }
    return {
      ...current,
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : current.refreshToken,
      expiresAt: deps.clock.now().getTime() + Number(body.expires_in ?? 3600) * 1000,
    };
  }

  /** Stores rotated tokens (a few tries); until that succeeds they are kept here and the lock is not given back. */
  async function store(connection: Connection, next: C, from: string, owner: string) {
    const { orgId, id: connectionId } = connection;
    const key = `${orgId}:${connectionId}`;
    let failure: unknown;
    let saved = false;
    for (let attempt = 0; attempt < STORE_ATTEMPTS && !saved; attempt += 1) {
      try {
        const encrypted = await deps.cipher.encrypt(
          JSON.stringify(next),
          // For the server the credentials were read for; stored only over those very credentials.
          credentialsContext(orgId, connectionId, credentialsServer(connection)),
        );
        await deps.connections.replaceEncryptedCredentials(orgId, connectionId, encrypted, from);
        saved = true;
        unsaved.delete(key);
        cached.set(`${key}:${connection.config.baseUrl}`, {
          token: next.accessToken ?? '',
          expiresAt: next.expiresAt ?? 0,
          from: encrypted,
        });
      } catch (error) {
        // Cleared (its server changed) or set anew meanwhile: these tokens belong to credentials that are gone.
        if (error instanceof ConflictError) {
          unsaved.delete(key);
          throw error;
        }
        failure = error;
        await new Promise((r) => setTimeout(r, WAIT_STEP_MS * (attempt + 1)));
      }
    }
    if (saved) {
      // The stored credentials changed: on the trail, without a token in it.
      await deps.audit.append(
        auditBySystem({
          action: 'connection.oauth_refreshed',
          actor: provider.auditActor,
          orgId,
          targets: [{ type: 'connection', id: connectionId }],
          requestId: connectionId,
          at: deps.clock.now(),
          after: { expiresAt: new Date(next.expiresAt ?? 0).toISOString() },
        }),
      );
      return;
    }
    unsaved.set(key, { next, from, owner, lockedUntil: Date.now() + LOCK_MS });
    throw new UnsavedTokensError(`${provider.name}: the new tokens could not be stored yet; retrying`, {
      cause: failure,
    });
  }

  /** Under the lock: stores tokens left unsaved, or uses stored ones still fresh, or refreshes and stores. */
  async function renew(orgId: string, connectionId: string, baseUrl: string, owner: string): Promise<string> {
    const key = `${orgId}:${connectionId}`;
    const current = await read(orgId, connectionId, baseUrl);
    const pending = unsaved.get(key);
    if (pending && pending.from !== current.encrypted) unsaved.delete(key); // credentials set anew: those were for the old ones
    if (pending && pending.from === current.encrypted) {
      // The provider already rotated: its refresh token is the only live one, so it is stored before anything else.
      const next = fresh(pending.next) ? pending.next : await exchange(pending.next, current.connection);
      await store(current.connection, next, current.encrypted, owner);
      return next.accessToken ?? '';
    }
    // Another worker may have refreshed while this one waited for the lock.
    if (fresh(current.credentials)) {
      cached.set(`${key}:${baseUrl}`, {
        token: current.credentials.accessToken ?? '',
        expiresAt: current.credentials.expiresAt ?? 0,
        from: current.encrypted,
      });
      return current.credentials.accessToken ?? '';
    }
    const next = await exchange(current.credentials, current.connection);
    await store(current.connection, next, current.encrypted, owner);
    return next.accessToken ?? '';
  }

  async function refresh(orgId: string, connectionId: string, baseUrl: string): Promise<string> {
    const key = `${orgId}:${connectionId}`;
    const lock = `${provider.lockPrefix}#${connectionId}`;
    for (let step = 0; step < WAIT_STEPS; step += 1) {
      const pending = unsaved.get(key);
      // The lock kept for unsaved tokens is still this environment's while its lease runs.
      const kept = pending && pending.lockedUntil - 1_000 > Date.now() ? pending.owner : undefined;
      const owner = kept ?? randomUUID();
      if (kept || (await deps.locks.acquire(orgId, lock, owner, LOCK_MS))) {
        let keep = false;
        try {
          return await renew(orgId, connectionId, baseUrl, owner);
        } catch (error) {
          keep = error instanceof UnsavedTokensError;
          throw error;
        } finally {
          if (!keep) await deps.locks.release(orgId, lock, owner);
        }
      }
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
      const current = await read(orgId, connectionId, baseUrl);
      if (fresh(current.credentials)) return current.credentials.accessToken ?? '';
    }
    throw new DependencyUnavailableError(`Another worker is refreshing the ${provider.name} token; retrying`);
  }

  return {
    /**
     * A usable access token for the connection, to be sent to `baseUrl` (the caller's client's host),
     * refreshed (once, under the lock) when it is about to expire. The connection and its stored
     * credentials are read each time (no decryption while they are unchanged), so a token is only
     * ever used with the credentials it came from, and never once the connection points elsewhere.
     */
    async token(orgId: string, connectionId: string, baseUrl: string): Promise<string> {
      const key = `${orgId}:${connectionId}`;
      const served = `${key}:${baseUrl}`;
      const { connection, encrypted } = await stored(orgId, connectionId, baseUrl);
      const known = cached.get(served);
      if (
        known &&
        known.from === encrypted &&
        fresh({ accessToken: known.token, expiresAt: known.expiresAt })
      )
        return known.token;
      if (!unsaved.has(key)) {
        const current = await provider.open(connection, encrypted);
        if (fresh(current)) {
          cached.set(served, {
            token: current.accessToken ?? '',
            expiresAt: current.expiresAt ?? 0,
            from: encrypted,
          });
          return current.accessToken ?? '';
        }
      }
      // Shared only by callers bound to the same server: a refresh for one host serves no other.
      let pending = inFlight.get(served);
      if (!pending) {
        pending = refresh(orgId, connectionId, baseUrl).finally(() => inFlight.delete(served));
        inFlight.set(served, pending);
      }
      return pending;
    },
    /** Forgets a token the provider refused, so the next call refreshes. */
    forget(orgId: string, connectionId: string): void {
      const key = `${orgId}:${connectionId}`;
      for (const cachedKey of [...cached.keys()])
        if (cachedKey.startsWith(`${key}:`)) cached.delete(cachedKey);
    },
  };
}

export type OAuthTokenSource = ReturnType<typeof makeOAuthTokenSource>;

/**
 * Opens a connection's stored OAuth credentials: decrypted for the connection's server only
 * (credentials entered for another are refused as such), then parsed with the provider's schema.
 */
export async function openCredentials<C>(
  cipher: TokenSourceDeps['cipher'],
  connection: Connection,
  encrypted: string,
  schema: { safeParse(value: unknown): { success: true; data: C } | { success: false } },
  notThisKind: string,
): Promise<C> {
  const context = credentialsContext(connection.orgId, connection.id, credentialsServer(connection));
  const plain = await cipher.decrypt(encrypted, context).catch((error: unknown) => {
    if (error instanceof UndecryptableSecretError)
      throw new ProviderAuthError(CREDENTIALS_FOR_ANOTHER_SERVER);
    throw error;
  });
  const parsed = schema.safeParse(JSON.parse(plain));
  if (!parsed.success) throw new ValidationError(notThisKind);
  return parsed.data;
}
