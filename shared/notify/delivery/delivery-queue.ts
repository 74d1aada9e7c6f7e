import { createHash } from 'node:crypto';
import type { Clock } from '../../ports/clock';
import type { MessageQueues } from '../../ports/message-queue';
import type { DeliveryMessage, DeliveryQueue, DeliveryTarget } from '../model';
import { targetKey } from '../model';
import type { DeliveryOrder, DeliveryStore } from './ports';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Events are kept for their messages' retries (about 28 hours) and a recovery weeks later. */
export const EVENT_KEEP_DAYS = 30;

/**
 * The message id of an event for a target: `msg_`, the event ULID's time, and 16 characters of a
 * hash of the event id and the target's key. The same event queued twice for a target is one message.
 */
export function messageIdFor(eventId: string, target: DeliveryTarget): string {
  const time = eventId.slice(eventId.indexOf('_') + 1).slice(0, 10);
  const digest = createHash('sha256')
    .update(`${eventId}\n${targetKey(target)}`)
    .digest();
  const random = Array.from(digest.subarray(0, 16), (byte) => CROCKFORD[byte % 32]).join('');
  return `msg_${time}${random}`;
}

/** The body of a deliveries-queue message. */
export const orderBody = (order: DeliveryOrder): string => JSON.stringify(order);

/** Queues every order, ten per SQS call, each under its org's group (fair queues). */
export async function queueOrders(
  queues: Pick<MessageQueues, 'sendBatch'>,
  orders: readonly DeliveryOrder[],
): Promise<void> {
  await queues.sendBatch(
    'deliveries',
    orders.map((o) => ({ body: orderBody(o), groupId: o.orgId })),
  );
}

/**
 * Queues deliveries: the event stored once, one message per target (a conditional write, so
 * queuing twice makes one), then one order per message on the deliveries queue. A message that
 * existed and was never tried (the matcher stopped between the write and the send) is queued again;
 * the worker's attempt check makes a duplicate order harmless.
 */
export function makeDeliveryQueue(deps: {
  store: DeliveryStore;
  queues: MessageQueues;
  clock: Clock;
}): DeliveryQueue {
  return {
    async enqueue(event, targets, held = []) {
      const seen = new Set<string>();
      const at = deps.clock.now();
      const messages: DeliveryMessage[] = [];
      const add = (target: DeliveryTarget, reason?: string) => {
        const id = messageIdFor(event.id, target);
        if (seen.has(id)) return;
        seen.add(id);
        messages.push({
          orgId: event.tenantId,
          id,
          eventId: event.id,
          eventType: event.type,
          target,
          status: reason === undefined ? 'pending' : 'dropped',
          attempts: 0,
          createdAt: at.toISOString(),
          ...(reason === undefined ? {} : { reason }),
        });
      };
      for (const target of targets) add(target);
      for (const { target, reason } of held) add(target, reason);
      if (messages.length === 0) return { created: 0, existing: 0 };
      // Side by side: no order is queued before both the event and its messages are stored.
      const [, { existing }] = await Promise.all([
        // With its claim-check reference, if any: a store that cannot hold it whole keeps that instead.
        deps.store.putEvent(event, new Date(at.getTime() + EVENT_KEEP_DAYS * 86_400_000)),
        deps.store.createMessages(messages),
      ]);
      const existingIds = new Set(existing.map((m) => m.id));
      const untried = new Set(
        existing.filter((m) => m.status === 'pending' && m.attempts === 0).map((m) => m.id),
      );
      const toQueue = messages.filter(
        (m) => m.status === 'pending' && (!existingIds.has(m.id) || untried.has(m.id)),
      );
      await queueOrders(
        deps.queues,
        toQueue.map((m) => ({ orgId: m.orgId, messageId: m.id, attempt: 0, eventId: m.eventId })),
      );
      return { created: messages.length - existing.length, existing: existing.length };
    },
  };
}
