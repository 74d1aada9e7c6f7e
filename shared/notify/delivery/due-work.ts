import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { DueEntry, DueIndex } from '../../ports/due-index';
import type { MessageQueues } from '../../ports/message-queue';
import type { TenantDirectory } from '../../tenancy/tenant-directory';
import type { HealthCheckDeps } from '../webhooks/health';
import { checkEndpointHealth, HEALTH_KIND } from '../webhooks/health';
import { parseRetryRef, RETRY_KIND, retryRef } from './deliver';
import { queueOrders } from './delivery-queue';
import type { DeliveryOrder } from './ports';

/** How many entries of a kind one sweep takes, per round; it goes round until none are due. */
const BATCH = 500;
/** A sweep stops after this many rounds and leaves the rest to the next minute. */
const MAX_ROUNDS = 20;
/** Due work of an org that is not active (suspended, deleted) waits this long before it is looked at again. */
export const INACTIVE_POSTPONE_MS = 3_600_000;

/**
 * Keeps a delivery order of an org that is not active as a retry in the due index, looked at again
 * in an hour and queued once the org is active: the message stays pending or scheduled, never lost.
 */
export function makePostponeOrder(deps: { readonly dueIndex: Pick<DueIndex, 'add'>; readonly clock: Clock }) {
  return (order: DeliveryOrder) =>
    deps.dueIndex.add({
      kind: RETRY_KIND,
      orgId: order.orgId,
      ref: retryRef(order.messageId, order.attempt, order.manual),
      dueAt: new Date(deps.clock.now().getTime() + INACTIVE_POSTPONE_MS),
    });
}

export interface DueWorkDeps {
  readonly dueIndex: DueIndex;
  readonly queues: Pick<MessageQueues, 'sendBatch'>;
  readonly clock: Clock;
  readonly health: HealthCheckDeps;
  readonly tenants?: Pick<TenantDirectory, 'get'>;
  /**
   * Other kinds of due work, each run entry by entry (an approval's expiry): an entry is removed
   * once `run` settles, and found again next minute when it throws.
   */
  readonly kinds?: readonly DueKind[];
}

/** A kind of due work another part of the hub indexes, and what doing one entry of it is. */
export interface DueKind {
  readonly kind: string;
  run(entry: DueEntry): Promise<void>;
}

/**
 * The minute's sweep: the retries that have come due are queued (each removed once queued, so one
 * not queued is found again), then the endpoints' health checks run (warn on day 4, disable on 5).
 * Entries of an org that is not active are left for when it is; a purged org's are forgotten.
 */
export function makeRunDueWork(deps: DueWorkDeps) {
  /** Whether the org's work is done now (`active`), later (`inactive`: postponed) or never (`gone`: purged). */
  const stateOf = async (orgId: string): Promise<'active' | 'inactive' | 'gone'> => {
    if (!deps.tenants) return 'active';
    const org = await deps.tenants.get(orgId);
    return !org ? 'gone' : org.status === 'active' ? 'active' : 'inactive';
  };
  /**
   * An org that is not active keeps its due work (nothing accepted is lost), moved an hour on: left
   * at the head of the index, enough of it would stop every other org's retries and checks.
   */
  const postpone = async (entry: DueEntry) => {
    await deps.dueIndex.add({ ...entry, dueAt: new Date(deps.clock.now().getTime() + INACTIVE_POSTPONE_MS) });
    await deps.dueIndex.remove(entry);
  };
  /** Runs the entries of one kind that have come due, at most `MAX_ROUNDS` rounds of `BATCH`. */
  const sweep = async (kind: string, run: (entry: DueEntry) => Promise<void>): Promise<number> => {
    let ran = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const due = await deps.dueIndex.due(kind, deps.clock.now(), 100);
      // The index reads only the minutes that hold entries: nothing due now means nothing is.
      if (due.length === 0) break;
      let done = 0;
      for (const entry of due) {
        const state = await stateOf(entry.orgId);
        if (state !== 'active') {
          await (state === 'gone' ? deps.dueIndex.remove(entry) : postpone(entry));
          done++;
          continue;
        }
        try {
          await run(entry);
          await deps.dueIndex.remove(entry);
          done++;
          ran++;
        } catch (error) {
          logger.warn('Due work failed; it is tried again next minute', { error: error as Error, kind });
        }
      }
      if (done === 0) break;
    }
    return ran;
  };
  return async (): Promise<{
    retries: number;
    health: Record<string, number>;
    other?: Record<string, number>;
  }> => {
    let retries = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const due = await deps.dueIndex.due(RETRY_KIND, deps.clock.now(), BATCH);
      // The index reads only the minutes that hold entries: nothing due now means nothing is.
      if (due.length === 0) break;
      const orders: DeliveryOrder[] = [];
      const taken = [];
      let postponed = 0;
      for (const entry of due) {
        const state = await stateOf(entry.orgId);
        if (state !== 'active') {
          await (state === 'gone' ? deps.dueIndex.remove(entry) : postpone(entry));
          postponed++;
          continue;
        }
        const { messageId, attempt, manual } = parseRetryRef(entry.ref);
        orders.push({ orgId: entry.orgId, messageId, attempt, ...(manual ? { manual: true as const } : {}) });
        taken.push(entry);
      }
      await queueOrders(deps.queues, orders);
      await Promise.all(taken.map((e) => deps.dueIndex.remove(e)));
      retries += orders.length;
      if (taken.length === 0 && postponed === 0) break;
    }
    const health: Record<string, number> = {};
    await sweep(HEALTH_KIND, async (entry) => {
      const outcome = await checkEndpointHealth(deps.health, entry.orgId, entry.ref);
      health[outcome] = (health[outcome] ?? 0) + 1;
    });
    const other: Record<string, number> = {};
    for (const { kind, run } of deps.kinds ?? []) {
      const ran = await sweep(kind, run);
      if (ran > 0) other[kind] = ran;
    }
    return { retries, health, ...(Object.keys(other).length > 0 ? { other } : {}) };
  };
}
