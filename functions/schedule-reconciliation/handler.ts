import * as adapters from '../../shared/adapters/wiring';
import { instrumented } from '../../shared/observability/instrumented';
import { logger } from '../../shared/observability/observability';
import { makeScheduleReconciliation } from '../../shared/sync/reconcile';

/**
 * Webhooks are not trusted to be complete, so every few minutes each mapping of every active org
 * is reconciled. This only fans out, one queue message per mapping; the scan workers start each
 * reconciliation (and call the providers), each org within its share of them.
 */
export const makeHandler = (schedule: ReturnType<typeof makeScheduleReconciliation>) =>
  instrumented(async () => {
    const result = await schedule();
    logger.info('Reconciliations queued', result);
    return result;
  });

export const handler = makeHandler(
  makeScheduleReconciliation({
    store: adapters.syncStore(),
    orgs: adapters.orgStore(),
    queues: adapters.messageQueues(),
  }),
);
