import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { approvalTargets } from '../../shared/approvals/events';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import { makeDeliveryQueue } from '../../shared/notify/delivery/delivery-queue';
import { workerDeps } from '../../shared/notify/delivery/worker-deps';
import type { MatchDeps } from '../../shared/notify/match/match';
import { cachedSubscriptions, makeMatcher } from '../../shared/notify/match/match';
import { instrumented } from '../../shared/observability/instrumented';
import { logger } from '../../shared/observability/observability';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';

/**
 * Matches each event on the notify queue (read back whole when it was claim-checked) against its
 * org's endpoints and rules, and queues one delivery per target. A redelivered event queues nothing new.
 */
export const makeHandler = (match: ReturnType<typeof makeMatcher>, failures: QueueWorkerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const matchRecord = async (record: SQSRecord) => {
    const event = await parseBusEnvelope(record.body);
    const matched = await match(event);
    logger.debug('Event matched', { eventId: event.id, tenantId: event.tenantId, ...matched });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, matchRecord), processor, { context }),
  );
};

/** The matcher with the production adapters; the rules and email parts add theirs through `extra`. */
export const makeProductionMatcher = (
  extra: Pick<MatchDeps, 'rules' | 'recipients' | 'digests' | 'chat' | 'ownTargets' | 'emailLimits'> = {},
) => {
  const clock = hubClock();
  const endpoints = adapters.webhookEndpointStore();
  return makeMatcher({
    endpoints: cachedSubscriptions({
      listEnabled: async (orgId) =>
        (await endpoints.list(orgId))
          .filter((e) => e.enabled)
          .map((e) => ({ id: e.id, eventTypes: e.eventTypes })),
    }),
    deliveries: makeDeliveryQueue({
      store: adapters.deliveryStore(clock),
      queues: adapters.messageQueues(),
      clock,
    }),
    ...extra,
  });
};

const clock = hubClock();
export const handler = makeHandler(
  makeProductionMatcher({
    rules: adapters.notificationRuleDestinations(),
    recipients: adapters.emailRecipients(clock),
    digests: adapters.digestCollector(clock),
    chat: adapters.chatRecipients(clock),
    // An approval's events go to its callback endpoint and its chat destination, whatever the rules say.
    ownTargets: approvalTargets,
    emailLimits: adapters.emailLimits(clock),
  }),
  workerDeps('notify', clock),
);
