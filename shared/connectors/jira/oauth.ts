import { randomUUID } from 'node:crypto';
import { auditBySystem } from '../../audit/audit-record';
import {
  DependencyUnavailableError,
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import type { Clock } from '../../ports/clock';
import type { SecretCipher } from '../../ports/secret-cipher';
import type { AuditStore, ConnectionStore, LockStore } from '../../ports/stores';
import type { ConnectionCredentials } from '../connection';
import { ConnectionCredentialsSchema } from '../connection';
import { credentialsContext } from '../manage-connections';

type OAuthCredentials = Extract<ConnectionCredentials, { kind: 'jira_oauth' }>;

/** An access token is refreshed this long before it expires, so no call goes out with a dying one. */
const EARLY_MS = 60_000;
const LOCK_MS = 30_000;
const WAIT_STEP_MS = 100;
const WAIT_STEPS = 100;

/**
 * Access tokens for Jira OAuth 2.0 (3LO) connections. Atlassian rotates the refresh token on every
 * refresh and the old one stops working, so a refresh must happen once per connection, never in
 * two workers at a time: a lock per connection (a conditional write) lets one worker refresh and
 * store the new tokens; the others wait and read what it stored. Within one execution environment
 * concurrent callers share one refresh.
 */
export function makeJiraTokenSource(deps: {
  connections: Pick<ConnectionStore, 'encryptedCredentials' | 'replaceEncryptedCredentials'>;
  cipher: SecretCipher;
  locks: LockStore;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
  fetch?: typeof fetch;
}) {
  const call = deps.fetch ?? fetch;
  const inFlight = new Map<string, Promise<string>>();
  const cached = new Map<string, { token: string; expiresAt: number }>();
  const fresh = (c: OAuthCredentials) =>
    c.accessToken !== undefined && (c.expiresAt ?? 0) - EARLY_MS > deps.clock.now().getTime();

  async function read(orgId: string, connectionId: string): Promise<OAuthCredentials> {
    const encrypted = await deps.connections.encryptedCredentials(orgId, connectionId);
    if (!encrypted) throw new ValidationError(`Connection ${connectionId} has no credentials`);
    const credentials = ConnectionCredentialsSchema.parse(
      JSON.parse(await deps.cipher.decrypt(encrypted, credentialsContext(orgId, connectionId))),
    );
    if (credentials.kind !== 'jira_oauth') throw new ValidationError('Not an OAuth connection');
    return credentials;
  }

  async function exchange(orgId: string, connectionId: string, current: OAuthCredentials) {
    let response: Response;
    try {
      response = await call(current.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          client_id: current.clientId,
          client_secret: current.clientSecret,
          refresh_token: current.refreshToken,
        }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new ProviderUnavailableError('Jira OAuth: the token endpoint did not answer', { cause });
    }
    if (response.status === 429)
      throw new ProviderRateLimitedError(
        'Jira OAuth: rate limited',
        Number(response.headers.get('retry-after') ?? 60),
      );
    if (response.status >= 500) throw new ProviderUnavailableError(`Jira OAuth: ${response.status}`);
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== 'string') {
      // invalid_grant: the refresh token was revoked or already used. Only a new consent fixes it.
      throw new ProviderAuthError(
        `Jira OAuth: the refresh was refused (${String(body.error ?? response.status)})`,
      );
    }
    const next: OAuthCredentials = {
      ...current,
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : current.refreshToken,
      expiresAt: deps.clock.now().getTime() + Number(body.expires_in ?? 3600) * 1000,
    };
    await deps.connections.replaceEncryptedCredentials(
      orgId,
      connectionId,
      await deps.cipher.encrypt(JSON.stringify(next), credentialsContext(orgId, connectionId)),
    );
    // The stored credentials changed: on the trail, without a token in it.
    await deps.audit.append(
      auditBySystem({
        action: 'connection.oauth_refreshed',
        actor: 'hub-jira-oauth',
        orgId,
        targets: [{ type: 'connection', id: connectionId }],
        requestId: connectionId,
        at: deps.clock.now(),
        after: { expiresAt: new Date(next.expiresAt ?? 0).toISOString() },
      }),
    );
    return next;
  }

  async function refresh(orgId: string, connectionId: string): Promise<string> {
    const owner = randomUUID();
    const lock = `jira-oauth#${connectionId}`;
    for (let step = 0; step < WAIT_STEPS; step += 1) {
      if (await deps.locks.acquire(orgId, lock, owner, LOCK_MS)) {
        try {
          // Another worker may have refreshed while this one waited for the lock.
          const current = await read(orgId, connectionId);
          const usable = fresh(current) ? current : await exchange(orgId, connectionId, current);
          cached.set(`${orgId}:${connectionId}`, {
            token: usable.accessToken ?? '',
            expiresAt: usable.expiresAt ?? 0,
          });
          return usable.accessToken ?? '';
        } finally {
          await deps.locks.release(orgId, lock, owner);
        }
      }
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
      const current = await read(orgId, connectionId);
      if (fresh(current)) return current.accessToken ?? '';
    }
    throw new DependencyUnavailableError('Another worker is refreshing the Jira token; retrying');
  }

  return {
    /** A usable access token for the connection, refreshed (once, under the lock) when it is about to expire. */
    async token(orgId: string, connectionId: string): Promise<string> {
      const key = `${orgId}:${connectionId}`;
      const known = cached.get(key);
      if (known && known.expiresAt - EARLY_MS > deps.clock.now().getTime()) return known.token;
      const current = await read(orgId, connectionId);
      if (fresh(current)) {
        cached.set(key, { token: current.accessToken ?? '', expiresAt: current.expiresAt ?? 0 });
        return current.accessToken ?? '';
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = refresh(orgId, connectionId).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    /** Forgets a token the provider refused, so the next call refreshes. */
    forget(orgId: string, connectionId: string): void {
      cached.delete(`${orgId}:${connectionId}`);
    },
  };
}

export type JiraTokenSource = ReturnType<typeof makeJiraTokenSource>;
