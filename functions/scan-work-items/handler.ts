import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';
import { makeScanPages, parseScanMessage } from '../../shared/sync/scan';
import { makeSyncEngine } from '../../shared/sync/sync-engine';

/** Runs one page of a backfill or reconciliation per message; the page queues the next one. */
export const makeHandler = (scanner: ReturnType<typeof makeScanPages>, failures: QueueWorkerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const scanRecord = async (record: SQSRecord) => {
    const message = parseScanMessage(record.body);
    const outcome = await scanner.page(message);
    metrics.addMetric(`ScanPage_${outcome}`, MetricUnit.Count, 1);
    logger.debug('Scan page', { jobId: message.jobId, side: message.side, outcome });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, scanRecord), processor, { context }),
  );
};

const store = adapters.syncStore();
const providers = adapters.syncProviders();
export const handler = makeHandler(
  makeScanPages({
    store,
    providers,
    engine: makeSyncEngine({ store, providers, audit: adapters.auditStore(), clock: systemClock }),
    queues: adapters.messageQueues(),
    clock: systemClock,
  }),
  adapters.queueWorker('reconcile'),
);
