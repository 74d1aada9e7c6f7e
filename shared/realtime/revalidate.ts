import { DependencyUnavailableError, HubError } from '../errors';
import type { GateDeps } from '../http/api-handler';
import { admit } from '../http/api-handler';
import { looksLikeApiKey } from '../identity/api-key-format';
import type { Principal } from '../identity/principal';
import { principalFromContext } from '../identity/principal';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore } from '../ports/stores';
import { TtlCache } from '../ttl-cache';
import type { RealtimeConnection } from './connections';
import { FEED_ROUTE, feedRequestFor } from './feed-request';

/** A connection's grant is checked again at most this often (and at once when its credential expires). */
export const REVALIDATE_EVERY_MS = 60_000;

/**
 * When the credential behind a connection stops being valid: a JWT's `exp` (the token was verified
 * before this is read), an org API key's stored expiry; null when it has none.
 */
export function makeCredentialExpiry(deps: { keys: Pick<ApiKeyStore, 'get'> }) {
  return async (authorization: string | undefined, principal: Principal): Promise<Date | null> => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return null;
    if (looksLikeApiKey(token)) {
      if (principal.kind !== 'org_member') return null;
      const key = await deps.keys.get(principal.orgId, principal.id);
      return key?.expiresAt ? new Date(key.expiresAt) : null;
    }
    try {
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        exp?: unknown;
      };
      return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null;
    } catch {
      return null;
    }
  };
}

export interface ConnectionCheckDeps {
  readonly gate: GateDeps;
  /** An API key's standing: revoked or expired keys lose their connections. */
  readonly keys: Pick<ApiKeyStore, 'get' | 'listPlatformKeys'>;
  readonly clock: Clock;
  readonly everyMs?: number;
}

/**
 * Whether a connection's principal may still read its org's feed: its credential not expired, its
 * API key not revoked, and the gate admitting it as it would `GET …/events` (org active, user
 * active and still a member, role and policies, IP allow-list, session lifetime) — without
 * counting a request. Each principal's answer is kept for a minute; a failure to check (the table
 * unreachable) fails closed: the event is withheld from the connection (a DependencyUnavailableError,
 * counted as a failed post), which stays open and is checked again at the next event.
 */
export function makeConnectionCheck(deps: ConnectionCheckDeps) {
  const everyMs = deps.everyMs ?? REVALIDATE_EVERY_MS;
  const answers = new TtlCache<Promise<string | null>>(everyMs, 10_000);

  const keyRefusal = async (principal: Principal, now: Date): Promise<string | null> => {
    if (principal.type !== 'api_key') return null;
    if (principal.kind === 'org_member') {
      const key = await deps.keys.get(principal.orgId, principal.id);
      if (key?.status !== 'active') return 'The API key was revoked';
      if (key.expiresAt && new Date(key.expiresAt) <= now) return 'The API key has expired';
      return null;
    }
    let cursor: string | undefined;
    do {
      const page = await deps.keys.listPlatformKeys({ limit: 100, ...(cursor ? { cursor } : {}) });
      const key = page.items.find((k) => k.id === principal.id);
      if (key) {
        if (key.status !== 'active') return 'The API key was revoked';
        if (key.expiresAt && new Date(key.expiresAt) <= now) return 'The API key has expired';
        return null;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return 'The API key was revoked';
  };

  const check = async (connection: RealtimeConnection, principal: Principal): Promise<string | null> => {
    const refused = await keyRefusal(principal, deps.clock.now());
    if (refused) return refused;
    try {
      await admit(
        feedRequestFor({
          orgId: connection.orgId,
          sourceIp: connection.sourceIp ?? '',
          requestId: `realtime-check-${connection.connectionId}`,
        }),
        FEED_ROUTE,
        deps.gate,
        principal,
        { count: false },
      );
    } catch (error) {
      if (error instanceof HubError) return error.message;
      throw error;
    }
    if (principal.kind === 'platform_admin' && !(await deps.gate.tenants.get(connection.orgId)))
      return 'The organisation no longer exists';
    return null;
  };

  /** Null while the connection may stay open; otherwise why it must close. */
  return async (connection: RealtimeConnection): Promise<string | null> => {
    const principal = principalFromContext(connection.principal);
    if (!principal) return 'The connection has no principal';
    if (connection.credentialExpiresAt && new Date(connection.credentialExpiresAt) <= deps.clock.now())
      return 'The credential has expired: connect again with a fresh one';
    const key = `${connection.orgId}#${principal.kind}#${principal.type}#${principal.id}#${connection.sourceIp ?? ''}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = check(connection, principal);
      answers.set(key, answer);
    }
    try {
      return await answer;
    } catch (error) {
      answers.delete(key);
      logger.warn('Could not check a real-time connection again: the event is withheld', {
        connectionId: connection.connectionId,
        error: error as Error,
      });
      throw new DependencyUnavailableError('Could not check the connection again', { cause: error });
    }
  };
}
