import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import { instrumented } from '../../shared/observability/instrumented';
import { SYNC_METRICS } from '../../shared/observability/names';
import { logger, metrics } from '../../shared/observability/observability';
import type { Clock } from '../../shared/ports/clock';
import { systemClock } from '../../shared/ports/clock';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';
import type { SyncStore } from '../../shared/sync/ports';
import type { SyncEngine } from '../../shared/sync/sync-engine';
import { makeSyncEngine } from '../../shared/sync/sync-engine';

/**
 * Applies each canonical event to its links. A failed record is reported alone and handled by the
 * failure policy (retried after the provider's reset time or with backoff, parked with its reason,
 * or dropped with an audit record); the connection's sync stats record the outcome either way.
 */
export const makeHandler = (
  engine: SyncEngine,
  stats: Pick<SyncStore, 'recordSync'>,
  failures: QueueWorkerDeps,
  clock: Clock = systemClock,
) => {
  const processor = new BatchProcessor(EventType.SQS);
  const syncRecord = async (record: SQSRecord) => {
    const event = await parseBusEnvelope(record.body);
    try {
      const outcomes = await engine.handle(event);
      for (const outcome of outcomes) metrics.addMetric(SYNC_METRICS.outcome(outcome), MetricUnit.Count, 1);
      if (
        outcomes.some((o) => o === 'created' || o === 'updated' || o === 'commented' || o === 'pull-request')
      ) {
        const at = clock.now();
        const lagMs = Math.max(0, at.getTime() - Date.parse(event.occurredAt));
        metrics.addMetric(SYNC_METRICS.lag, MetricUnit.Milliseconds, lagMs);
        await stats.recordSync(event.tenantId, event.source.connectionId, { at, lagMs });
      }
      logger.debug('Event synced', { eventId: event.id, tenantId: event.tenantId, outcomes });
    } catch (error) {
      await stats
        .recordSync(event.tenantId, event.source.connectionId, {
          at: clock.now(),
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        })
        .catch((e: unknown) => logger.warn('Could not record a sync failure', { error: e as Error }));
      throw error;
    }
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, syncRecord), processor, { context }),
  );
};

const store = adapters.syncStore();
export const handler = makeHandler(
  makeSyncEngine({
    store,
    providers: adapters.syncProviders(),
    audit: adapters.auditStore(),
    clock: systemClock,
    connectors: adapters.syncConnectors(),
  }),
  store,
  adapters.queueWorker('sync'),
);
