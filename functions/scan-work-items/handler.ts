import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { syncSettleSeconds } from '../../shared/config/config';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';
import { makeOrgSlots, makeScanWork } from '../../shared/sync/reconcile';
import { makeScanPages, makeScanStarter } from '../../shared/sync/scan';
import { makeSyncEngine } from '../../shared/sync/sync-engine';

/**
 * Starts a mapping's reconciliation, or runs one page of a backfill or reconciliation (the page
 * queues the next one), per message, each within its org's share of the workers.
 */
export const makeHandler = (work: ReturnType<typeof makeScanWork>, failures: QueueWorkerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const scanRecord = async (record: SQSRecord) => {
    const outcome = await work(record.body, record.messageId);
    metrics.addMetric(`ScanPage_${outcome}`, MetricUnit.Count, 1);
    logger.debug('Scan work', { messageId: record.messageId, outcome });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, scanRecord), processor, { context }),
  );
};

const store = adapters.syncStore();
const providers = adapters.syncProviders();
const queues = adapters.messageQueues();
export const handler = makeHandler(
  makeScanWork({
    store,
    starter: makeScanStarter({
      store,
      providers,
      queues,
      clock: systemClock,
      settleMs: syncSettleSeconds() * 1000,
    }),
    pages: makeScanPages({
      store,
      providers,
      engine: makeSyncEngine({
        store,
        providers,
        audit: adapters.auditStore(),
        clock: systemClock,
        connectors: adapters.syncConnectors(),
      }),
      queues,
      clock: systemClock,
    }),
    slots: makeOrgSlots(adapters.lockStore()),
    queues,
  }),
  adapters.queueWorker('reconcile'),
);
