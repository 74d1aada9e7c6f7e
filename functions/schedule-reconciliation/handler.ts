import * as adapters from '../../shared/adapters/wiring';
import { syncSettleSeconds } from '../../shared/config/config';
import { instrumented } from '../../shared/observability/instrumented';
import { logger } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import type { SyncStore } from '../../shared/sync/ports';
import type { ScanStarter } from '../../shared/sync/scan';
import { makeScanStarter } from '../../shared/sync/scan';

/**
 * Starts a reconciliation for every mapping: webhooks are not trusted to be complete, so what
 * changed since each mapping's cursor is read from the providers and synced. One mapping failing
 * to start (its provider down) does not stop the others; it is tried again on the next run.
 */
export const makeHandler = (
  store: Pick<SyncStore, 'mappingDirectory' | 'getMapping'>,
  scanner: Pick<ScanStarter, 'reconcile'>,
) =>
  instrumented(async () => {
    let started = 0;
    let failed = 0;
    for (const { orgId, mappingId } of await store.mappingDirectory()) {
      try {
        const mapping = await store.getMapping(orgId, mappingId);
        if (mapping && (await scanner.reconcile(mapping))) started += 1;
      } catch (error) {
        failed += 1;
        logger.warn('Could not start a reconciliation', { orgId, mappingId, error: error as Error });
      }
    }
    return { started, failed };
  });

const store = adapters.syncStore();
export const handler = makeHandler(
  store,
  makeScanStarter({
    store,
    providers: adapters.syncProviders(),
    queues: adapters.messageQueues(),
    clock: systemClock,
    settleMs: syncSettleSeconds() * 1000,
  }),
);
