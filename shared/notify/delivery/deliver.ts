import * as z from 'zod';
import { ValidationError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import { newId } from '../../ids';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { DueIndex } from '../../ports/due-index';
import type { MessageQueues } from '../../ports/message-queue';
import { TtlCache } from '../../ttl-cache';
import { zodIssues } from '../../validation';
import type { DeliveryMessage, DeliveryTarget, SendOutcome } from '../model';
import { orderBody } from './delivery-queue';
import type { DeliveryAttempt, DeliveryChannel, DeliveryOrder, DeliveryStore } from './ports';
import { MAX_QUEUE_DELAY_SECONDS, nextRetrySeconds } from './schedule';

/** The due-index kind of a retry hours away. */
export const RETRY_KIND = 'delivery-retry';
/** A retry's due-index ref: the message and the attempt count its order is for (and `manual`, a resend's). */
export const retryRef = (messageId: string, attempt: number, manual?: boolean) =>
  `${messageId}#${attempt}${manual ? '#manual' : ''}`;
/** What `retryRef` wrote. */
export function parseRetryRef(ref: string): { messageId: string; attempt: number; manual: boolean } {
  const [messageId, attempt, manual] = ref.split('#');
  return { messageId: String(messageId), attempt: Number(attempt), manual: manual === 'manual' };
}

const DeliveryOrderSchema = z
  .object({
    orgId: z.string().regex(/^org_[0-9A-Z]+$/),
    messageId: z.string().regex(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/),
    attempt: z.number().int().nonnegative(),
    manual: z.literal(true).optional(),
    eventId: z
      .string()
      .regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/)
      .optional(),
    slot: z.number().int().positive().optional(),
  })
  .strict();

/** Reads a deliveries-queue message; a malformed one is a ValidationError (parked with its reason). */
export function parseOrder(body: string): DeliveryOrder {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('The delivery order is not JSON', [], { cause });
  }
  const parsed = DeliveryOrderSchema.safeParse(json);
  if (!parsed.success) throw new ValidationError('The delivery order is not valid', zodIssues(parsed.error));
  return parsed.data;
}

export interface DeliverDeps {
  readonly store: DeliveryStore;
  /** The channels by name: `webhook` here, `email` when its part is wired, chat providers later. */
  readonly channels: Readonly<Partial<Record<DeliveryTarget['channel'], DeliveryChannel<never>>>>;
  readonly queues: Pick<MessageQueues, 'send'>;
  readonly dueIndex: Pick<DueIndex, 'add'>;
  readonly clock: Clock;
  readonly random?: () => number;
}

export type DeliverResult =
  | 'delivered'
  | 'scheduled'
  | 'failed'
  | 'dropped'
  | 'throttled'
  | 'stale'
  | 'done'
  | 'missing';

const EXCERPT_CHARS = 1024;

/**
 * Makes one attempt for one order: skips a message already done or an order it has moved past
 * (a redelivered or duplicated order is harmless), drops a message whose destination is gone or
 * disabled (one dropped while its endpoint is disabled is kept for recovery), puts an order over
 * its destination's rate limit back with a delay (no attempt spent), else sends, records the
 * attempt with the message's next state in one write, and queues the retry: on SQS with a delay
 * up to 15 minutes, in the due index beyond. The retry is queued before the state is written, so
 * a crash between the two repeats an attempt (same webhook-id) and loses none.
 */
export function makeDeliver(deps: DeliverDeps) {
  const events = new TtlCache<Promise<CanonicalEvent | null>>(60_000, 500);
  const eventOf = (orgId: string, eventId: string) => {
    const key = `${orgId}#${eventId}`;
    let found = events.get(key);
    if (!found) {
      found = deps.store.getEvent(orgId, eventId);
      found.catch(() => events.delete(key));
      events.set(key, found);
    }
    return found;
  };

  return async (order: DeliveryOrder): Promise<DeliverResult> => {
    // The event read side by side with the message when the order names it (a first attempt).
    const early = order.eventId ? eventOf(order.orgId, order.eventId) : undefined;
    early?.catch(() => undefined);
    const message = await deps.store.getMessage(order.orgId, order.messageId);
    if (!message) return 'missing';
    if (message.status !== 'pending' && message.status !== 'scheduled') return 'done';
    if (message.attempts !== order.attempt) return 'stale';
    const channel = deps.channels[message.target.channel] as DeliveryChannel | undefined;
    if (!channel) throw new Error(`No ${message.target.channel} channel is wired into the delivery worker`);
    const expected = { attempts: message.attempts, status: message.status };

    // Read side by side with the destination's checks: the event is wanted unless they say drop.
    const loading =
      early && order.eventId === message.eventId ? early : eventOf(message.orgId, message.eventId);
    loading.catch(() => undefined);
    // A webhook message's drop is recorded with its attempts, so the endpoint's listing shows it.
    const drop = async (reason: string, recoverable?: true) => {
      const record: DeliveryAttempt | undefined =
        message.target.channel === 'webhook'
          ? {
              id: newId('att'),
              orgId: message.orgId,
              messageId: message.id,
              eventId: message.eventId,
              eventType: message.eventType,
              channel: message.target.channel,
              endpointId: message.target.endpointId,
              status: 'dropped',
              at: deps.clock.now().toISOString(),
              attempt: message.attempts,
              durationMs: 0,
              error: reason,
              ...(order.manual ? { manual: true } : {}),
              ...(recoverable ? { recoverable: true } : {}),
            }
          : undefined;
      await deps.store.saveMessage({ ...message, status: 'dropped', reason }, expected, record);
      return 'dropped' as const;
    };
    const ready = channel.readiness ? await channel.readiness(message) : ({ kind: 'ready' } as const);
    if (ready.kind === 'drop') return drop(ready.reason, ready.recoverable);
    // An order put back with a window reserved was counted in it already.
    const reserved = order.slot !== undefined && order.slot * 1000 <= deps.clock.now().getTime() + 1000;
    if (ready.rateLimit && !reserved) {
      const { key, perSecond, windowSeconds } = ready.rateLimit;
      const now = deps.clock.now();
      if (deps.store.reserveRate) {
        // The next window with room is reserved and the order comes back for it: one wait, no re-polling.
        const wait = await deps.store.reserveRate(
          message.orgId,
          key,
          perSecond,
          now,
          MAX_QUEUE_DELAY_SECONDS,
          windowSeconds,
        );
        if (wait !== 0) {
          const delaySeconds = wait ?? MAX_QUEUE_DELAY_SECONDS;
          const { slot: _, ...rest } = order;
          const back: DeliveryOrder =
            wait === null ? rest : { ...rest, slot: Math.floor(now.getTime() / 1000) + wait };
          await deps.queues.send('deliveries', orderBody(back), { delaySeconds, groupId: order.orgId });
          return 'throttled';
        }
      } else if (!(await deps.store.consumeRate(message.orgId, key, perSecond, now, windowSeconds))) {
        // Back in a second or two, spread so a burst does not return as one.
        const delaySeconds = 1 + Math.floor((deps.random ?? Math.random)() * 2);
        await deps.queues.send('deliveries', orderBody(order), { delaySeconds, groupId: order.orgId });
        return 'throttled';
      }
    }
    const event = await loading;
    if (!event) return drop('its event has expired');

    const outcome: SendOutcome = await channel.send(message, event);
    const at = deps.clock.now();
    const attempts = message.attempts + 1;
    const attempt: DeliveryAttempt = {
      id: newId('att'),
      orgId: message.orgId,
      messageId: message.id,
      eventId: message.eventId,
      eventType: message.eventType,
      channel: message.target.channel,
      ...(message.target.channel === 'webhook' ? { endpointId: message.target.endpointId } : {}),
      status: outcome.ok ? 'succeeded' : 'failed',
      at: at.toISOString(),
      attempt: attempts,
      ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
      durationMs: outcome.durationMs,
      ...(outcome.responseExcerpt
        ? { responseExcerpt: outcome.responseExcerpt.slice(0, EXCERPT_CHARS) }
        : {}),
      ...(outcome.ok ? {} : { error: outcome.error }),
      ...(order.manual ? { manual: true } : {}),
    };
    const base = { ...message, attempts, lastAttemptAt: at.toISOString() };
    let next: DeliveryMessage;
    let result: DeliverResult;
    if (outcome.ok) {
      const { nextAttemptAt: _n, reason: _r, ...rest } = base;
      next = { ...rest, status: 'delivered', deliveredAt: at.toISOString() };
      result = 'delivered';
    } else {
      const wait =
        outcome.permanent || order.manual
          ? null
          : nextRetrySeconds(channel.retrySchedule, attempts, outcome.retryAfterSeconds, deps.random);
      if (wait === null) {
        const { nextAttemptAt: _n, ...rest } = base;
        const why = outcome.permanent
          ? outcome.error
          : order.manual
            ? `the manual attempt failed: ${outcome.error}`
            : `gave up after ${attempts} attempts: ${outcome.error}`;
        next = { ...rest, status: 'failed', reason: why };
        result = 'failed';
      } else {
        const dueAt = new Date(at.getTime() + wait * 1000);
        next = { ...base, status: 'scheduled', nextAttemptAt: dueAt.toISOString(), reason: outcome.error };
        result = 'scheduled';
        const retry: DeliveryOrder = {
          orgId: message.orgId,
          messageId: message.id,
          attempt: attempts,
          eventId: message.eventId,
        };
        if (wait <= MAX_QUEUE_DELAY_SECONDS)
          await deps.queues.send('deliveries', orderBody(retry), {
            delaySeconds: wait,
            groupId: message.orgId,
          });
        else
          await deps.dueIndex.add({
            kind: RETRY_KIND,
            orgId: message.orgId,
            ref: retryRef(message.id, attempts),
            dueAt,
          });
      }
    }
    if (!(await deps.store.saveMessage(next, expected, attempt))) {
      // Another attempt of the same order was recorded first: this one changes nothing.
      logger.info('A concurrent attempt was recorded first', { messageId: message.id });
      return 'stale';
    }
    if (channel.observe)
      await channel
        .observe(message, outcome, at)
        .catch((error: unknown) =>
          logger.warn('Could not update the destination health', { error: error as Error }),
        );
    return result;
  };
}
