import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { customerEndpointPolicy, egressPolicy, makeEgressFetch } from '../../shared/egress';
import { makeDeliver, parseOrder } from '../../shared/notify/delivery/deliver';
import { makePostponeOrder } from '../../shared/notify/delivery/due-work';
import type { DeliveryChannel } from '../../shared/notify/delivery/ports';
import { workerDeps } from '../../shared/notify/delivery/worker-deps';
import type { DeliveryTarget } from '../../shared/notify/model';
import { ATTEMPT_TIMEOUT_MS, makeWebhookChannel } from '../../shared/notify/webhooks/webhook-channel';
import { instrumented } from '../../shared/observability/instrumented';
import { logger } from '../../shared/observability/observability';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';

type Channels = Readonly<Partial<Record<DeliveryTarget['channel'], DeliveryChannel<never>>>>;

/**
 * Makes one delivery attempt per order on the deliveries queue, all of a batch side by side (a slow
 * endpoint holds only its own messages), reporting the failed ones alone. A failure to deliver is
 * not a failed record: it is recorded and its retry scheduled; only the hub's own failures are.
 */
export const makeHandler = (deliver: ReturnType<typeof makeDeliver>, failures: QueueWorkerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const deliverRecord = async (record: SQSRecord) => {
    const outcome = await deliver(parseOrder(record.body));
    logger.debug('Delivery order handled', { outcome });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, deliverRecord), processor, { context }),
  );
};

/** The channels this worker sends through: the webhook channel, and others as their parts wire them. */
export const makeChannels = (
  extra: Channels = {},
  clock = hubClock(),
  dueIndex = adapters.dueIndex(clock),
): Channels => {
  return {
    webhook: makeWebhookChannel({
      endpoints: adapters.webhookEndpointStore(),
      cipher: adapters.secretCipher(),
      // Customers' URLs: never the operator's private ranges (those are for its own providers).
      fetch: makeEgressFetch({
        policy: customerEndpointPolicy(egressPolicy()),
        timeoutMs: ATTEMPT_TIMEOUT_MS,
      }),
      dueIndex,
      audit: adapters.auditStore(),
      clock,
    }) as DeliveryChannel<never>,
    ...extra,
  };
};

/**
 * The failure policy of the deliveries queue: an order of an org that is not active is kept in the
 * due index (nothing else would find it again) and queued once the org is active.
 */
export const deliveryFailures = (
  base: QueueWorkerDeps,
  postpone: ReturnType<typeof makePostponeOrder>,
): QueueWorkerDeps => ({ ...base, keepInactive: (record) => postpone(parseOrder(record.body)) });

const clock = hubClock();
const dueIndex = adapters.dueIndex(clock);
export const handler = makeHandler(
  makeDeliver({
    store: adapters.deliveryStore(clock),
    channels: makeChannels(
      {
        email: adapters.emailChannel(clock) as DeliveryChannel<never>,
        chat: adapters.chatChannel(clock) as DeliveryChannel<never>,
      },
      clock,
      dueIndex,
    ),
    queues: adapters.messageQueues(),
    dueIndex,
    clock,
  }),
  deliveryFailures(workerDeps('deliveries', clock), makePostponeOrder({ dueIndex, clock })),
);
