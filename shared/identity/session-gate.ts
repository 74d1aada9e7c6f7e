import { SessionExpiredError, SessionRevokedError } from '../errors';
import { logger } from '../observability/observability';
import type { SessionStore } from '../ports/stores';
import { TtlCache } from '../ttl-cache';
import type { SessionState } from './session';
import { revocationOf } from './session';
import { sessionIdOf } from './session-id';

/** How long the gate trusts what it read of a session: a revocation is refused within this. */
export const SESSION_STATE_TTL_MS = 5_000;
/** A session's last use is written at most this often, not on every request. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

/** One request of a user session, as the gate sees it. */
export interface SessionRequest {
  readonly orgId: string;
  readonly userId: string;
  /** The sign-in (`auth_time`, epoch seconds). */
  readonly authTime: number;
  readonly signInMethod: string;
  readonly ip: string;
  readonly userAgent: string | null;
  /** The org's idle timeout (`sessionIdleMinutes`), or null for none. */
  readonly idleMinutes: number | null;
  readonly at: Date;
  /** `false`: the hub's own re-check of a standing grant (a real-time connection), not a use. @default true */
  readonly record?: boolean;
}

/**
 * The gate's view of user sessions, per execution environment: refuses a revoked session or one
 * idle longer than its org allows, from a read it trusts for a few seconds; and records each
 * session's use — at most once a minute per session here, and by a conditional write at most once
 * a minute between all environments. A failed write is logged, never a reason to refuse.
 */
export class SessionGate {
  private readonly states: TtlCache<SessionState>;
  /** When this environment last wrote each session's use (epoch ms). */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly store: Pick<SessionStore, 'state' | 'recordUse'>,
    private readonly options: { readonly stateTtlMs?: number; readonly touchIntervalMs?: number } = {},
  ) {
    this.states = new TtlCache(options.stateTtlMs ?? SESSION_STATE_TTL_MS, 10_000);
  }

  /**
   * Throws SessionRevokedError or SessionExpiredError (idle) for a session that may not be used;
   * otherwise returns the write of its use when one is due (it never rejects).
   */
  async admit(request: SessionRequest): Promise<{ sessionId: string; recorded: Promise<void> }> {
    const sessionId = sessionIdOf(request.orgId, request.userId, request.authTime);
    const key = `${request.orgId}/${request.userId}/${sessionId}`;
    const state =
      this.states.get(key) ??
      this.states.set(key, await this.store.state(request.orgId, request.userId, sessionId));
    const revoked = revocationOf(state, request.authTime);
    if (revoked) throw new SessionRevokedError(revoked);
    const now = request.at.getTime();
    if (request.idleMinutes !== null) {
      // The sign-in counts as use: a session never seen is idle from when it began.
      const lastUse = Math.max(
        request.authTime * 1000,
        state.session ? Date.parse(state.session.lastSeenAt) : 0,
        this.written.get(key) ?? 0,
      );
      if (now - lastUse > request.idleMinutes * 60_000) {
        throw new SessionExpiredError(
          `The session was idle longer than the organisation's ${request.idleMinutes} minutes; sign in again`,
        );
      }
    }
    const recorded = request.record === false ? Promise.resolve() : this.record(key, sessionId, request);
    return { sessionId, recorded };
  }

  /** Drops what this environment read of a user's sessions (after it revoked some of them). */
  forget(orgId: string, userId: string): void {
    const prefix = `${orgId}/${userId}/`;
    this.states.deleteWhere((key) => key.startsWith(prefix));
  }

  private record(key: string, sessionId: string, request: SessionRequest): Promise<void> {
    const interval = this.options.touchIntervalMs ?? SESSION_TOUCH_INTERVAL_MS;
    const now = request.at.getTime();
    const last = this.written.get(key);
    if (last !== undefined && now - last < interval) return Promise.resolve();
    this.written.set(key, now);
    if (this.written.size > 10_000) this.written.delete(this.written.keys().next().value as string);
    const { orgId, userId, authTime, signInMethod, ip, userAgent, at } = request;
    return this.store
      .recordUse(
        { orgId, userId, sessionId, authTime, signInMethod, ip, userAgent, at },
        new Date(now - interval),
      )
      .catch((error: unknown) => {
        this.written.delete(key);
        logger.warn('Could not record the use of a session', { sessionId, error: error as Error });
      });
  }
}
