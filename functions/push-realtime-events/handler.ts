import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import type { ClaimCheckStore } from '../../shared/ports/claim-check-store';
import { systemClock } from '../../shared/ports/clock';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';
import { makePushEvent } from '../../shared/realtime/push-events';
import { makeConnectionCheck } from '../../shared/realtime/revalidate';

/**
 * Pushes each canonical event from the `realtime` queue to its org's open connections that
 * subscribed to its type. A claim-checked event is read back whole first; a suspended org's events
 * are acknowledged unpushed (the failure policy's org check); a record that fails (its connections
 * could not be read) is reported alone and retried.
 */
export const makeHandler = (
  push: ReturnType<typeof makePushEvent>,
  failures: QueueWorkerDeps,
  claims?: ClaimCheckStore,
) => {
  const processor = new BatchProcessor(EventType.SQS);
  const pushRecord = async (record: SQSRecord) => {
    const event = await parseBusEnvelope(record.body, claims);
    const outcome = await push(event);
    metrics.addMetric('RealtimePushed', MetricUnit.Count, outcome.sent);
    if (outcome.gone > 0) metrics.addMetric('RealtimeGone', MetricUnit.Count, outcome.gone);
    if (outcome.failed > 0) metrics.addMetric('RealtimePushFailed', MetricUnit.Count, outcome.failed);
    if (outcome.closed) metrics.addMetric('RealtimeRevoked', MetricUnit.Count, outcome.closed);
    logger.debug('Event pushed', { eventId: event.id, tenantId: event.tenantId, ...outcome });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, pushRecord), processor, { context }),
  );
};

export const handler = makeHandler(
  makePushEvent({
    connections: adapters.realtimeConnections(),
    poster: adapters.connectionPoster(),
    clock: systemClock,
    check: makeConnectionCheck({
      gate: {
        tenants: adapters.tenantDirectory(),
        audit: adapters.auditStore(),
        usage: adapters.usageStore(),
        users: adapters.userStore(),
        access: adapters.accessDirectory(),
        facts: adapters.accessFacts(),
        // A revoked or idle session's connection is closed at its next check.
        sessions: adapters.sessionGate(),
      },
      keys: adapters.apiKeyStore(),
      clock: systemClock,
    }),
  }),
  adapters.queueWorker('realtime'),
);
