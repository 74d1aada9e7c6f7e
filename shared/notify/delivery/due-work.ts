import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { DueIndex } from '../../ports/due-index';
import type { MessageQueues } from '../../ports/message-queue';
import type { TenantDirectory } from '../../tenancy/tenant-directory';
import type { HealthCheckDeps } from '../webhooks/health';
import { checkEndpointHealth, HEALTH_KIND } from '../webhooks/health';
import { RETRY_KIND } from './deliver';
import { queueOrders } from './delivery-queue';
import type { DeliveryOrder } from './ports';

/** How many entries of a kind one sweep takes, per round; it goes round until none are due. */
const BATCH = 500;
/** A sweep stops after this many rounds and leaves the rest to the next minute. */
const MAX_ROUNDS = 20;

export interface DueWorkDeps {
  readonly dueIndex: DueIndex;
  readonly queues: Pick<MessageQueues, 'sendBatch'>;
  readonly clock: Clock;
  readonly health: HealthCheckDeps;
  readonly tenants?: Pick<TenantDirectory, 'get'>;
}

/**
 * The minute's sweep: the retries that have come due are queued (each removed once queued, so one
 * not queued is found again), then the endpoints' health checks run (warn on day 4, disable on 5).
 * Entries of an org that is not active are left for when it is.
 */
export function makeRunDueWork(deps: DueWorkDeps) {
  const active = async (orgId: string) =>
    !deps.tenants || (await deps.tenants.get(orgId))?.status === 'active';
  return async (): Promise<{ retries: number; health: Record<string, number> }> => {
    let retries = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const due = await deps.dueIndex.due(RETRY_KIND, deps.clock.now(), BATCH);
      // The index reads only the minutes that hold entries: nothing due now means nothing is.
      if (due.length === 0) break;
      const orders: DeliveryOrder[] = [];
      const taken = [];
      for (const entry of due) {
        if (!(await active(entry.orgId))) continue;
        const [messageId, attempt] = entry.ref.split('#');
        orders.push({ orgId: entry.orgId, messageId: String(messageId), attempt: Number(attempt) });
        taken.push(entry);
      }
      await queueOrders(deps.queues, orders);
      await Promise.all(taken.map((e) => deps.dueIndex.remove(e)));
      retries += orders.length;
      if (taken.length === 0) break;
    }
    const health: Record<string, number> = {};
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const due = await deps.dueIndex.due(HEALTH_KIND, deps.clock.now(), 100);
      // The index reads only the minutes that hold entries: nothing due now means nothing is.
      if (due.length === 0) break;
      let done = 0;
      for (const entry of due) {
        if (!(await active(entry.orgId))) continue;
        try {
          const outcome = await checkEndpointHealth(deps.health, entry.orgId, entry.ref);
          health[outcome] = (health[outcome] ?? 0) + 1;
          await deps.dueIndex.remove(entry);
          done++;
        } catch (error) {
          logger.warn('An endpoint health check failed; it is tried again next minute', {
            error: error as Error,
          });
        }
      }
      if (done === 0) break;
    }
    return { retries, health };
  };
}
