import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import type { EventStore } from '../../shared/ports/stores';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';

/**
 * Stores each canonical event in its org's feed. Storing is idempotent (keyed by event id), so a
 * redelivered message is a no-op; a failed record is reported alone and retried, then parked in the DLQ.
 */
export const makeHandler = (events: EventStore, failures: QueueWorkerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const storeRecord = async (record: SQSRecord) => {
    const event = await parseBusEnvelope(record.body);
    const outcome = await events.put(event);
    metrics.addMetric(outcome === 'stored' ? 'EventStored' : 'EventDuplicate', MetricUnit.Count, 1);
    logger.debug('Event handled', { eventId: event.id, tenantId: event.tenantId, outcome });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, storeRecord), processor, { context }),
  );
};

export const handler = makeHandler(adapters.eventStore(), adapters.queueWorker('events'));
