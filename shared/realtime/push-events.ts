import type { CanonicalEvent } from '../events/canonical-event';
import { principalFromContext } from '../identity/principal';
import { matchesType } from '../notify/model';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { ConnectionPoster, RealtimeConnection, RealtimeConnectionStore } from './connections';
import { eventMessage } from './protocol';

/** Posts side by side, this many at a time: an org with many clients does not open a socket per client at once. */
const POSTS_AT_ONCE = 25;

export interface PushOutcome {
  readonly sent: number;
  readonly gone: number;
  readonly failed: number;
  /** Connections closed because their principal may no longer read the feed. */
  readonly closed?: number;
}

/** Whether a connection takes an event: the event's org, a subscribed type, and a principal that was admitted. */
export function takes(connection: RealtimeConnection, event: CanonicalEvent): boolean {
  if (connection.orgId !== event.tenantId) return false;
  // Stored by the gate at connect; a connection whose principal cannot be read gets nothing.
  if (!principalFromContext(connection.principal)) return false;
  return connection.types.some((pattern) => matchesType(pattern, event.type));
}

/**
 * Pushes one event to its org's open connections that subscribed to its type. A connection the
 * Management API says is gone is forgotten; a failed post is logged and counted, not retried with
 * the whole event (that would push it twice to every other client): real-time is best effort, the
 * event feed is the record.
 */
export function makePushEvent(deps: {
  connections: RealtimeConnectionStore;
  poster: ConnectionPoster;
  clock: Clock;
  /**
   * Why a connection may no longer take events (a revoked or expired credential, a suspended org or
   * user, a membership removed), or null: such a connection is told, closed and forgotten.
   */
  check?: (connection: RealtimeConnection) => Promise<string | null>;
}) {
  const closeRefused = async (c: RealtimeConnection, reason: string) => {
    logger.info('Real-time connection closed: its principal may no longer read the feed', {
      connectionId: c.connectionId,
      reason,
    });
    // Told first (best effort), so a client knows not to reconnect with the same credential.
    await deps.poster
      .post(c.connectionId, JSON.stringify({ type: 'error', title: 'Forbidden', detail: reason }))
      .catch(() => undefined);
    await deps.poster.close(c.connectionId);
    await deps.connections.close(c.orgId, c.connectionId);
  };

  return async (event: CanonicalEvent): Promise<PushOutcome> => {
    const open = await deps.connections.listOpen(event.tenantId, deps.clock.now());
    const subscribed = open.filter((c) => takes(c, event));
    if (subscribed.length === 0) return { sent: 0, gone: 0, failed: 0 };
    const data = eventMessage(event);
    let sent = 0;
    let gone = 0;
    let failed = 0;
    let closed = 0;
    for (let i = 0; i < subscribed.length; i += POSTS_AT_ONCE) {
      await Promise.all(
        subscribed.slice(i, i + POSTS_AT_ONCE).map(async (c) => {
          try {
            const refused = deps.check ? await deps.check(c) : null;
            if (refused) {
              closed++;
              await closeRefused(c, refused);
              return;
            }
            if ((await deps.poster.post(c.connectionId, data)) === 'sent') {
              sent++;
              return;
            }
            gone++;
            await deps.connections.close(c.orgId, c.connectionId);
          } catch (error) {
            failed++;
            logger.warn('Could not push an event to a connection', {
              connectionId: c.connectionId,
              eventId: event.id,
              error: error as Error,
            });
          }
        }),
      );
    }
    return { sent, gone, failed, ...(closed > 0 ? { closed } : {}) };
  };
}
