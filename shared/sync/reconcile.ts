import { ValidationError } from '../errors';
import { newId } from '../ids';
import { logger } from '../observability/observability';
import type { MessageQueues } from '../ports/message-queue';
import type { LockStore, OrgStore } from '../ports/stores';
import type { SyncStore } from './ports';
import type { makeScanPages, ScanStarter } from './scan';
import { parseScanMessage, SCAN_QUEUE } from './scan';

/** How many of an org's reconciliations and scan pages may run at once, whatever its number of mappings. */
export const ORG_SCAN_SLOTS = 2;
/** A slot outlives the scan worker's timeout (120 s): a worker that died gives it up by then. */
const SLOT_TTL_MS = 150_000;
/** A message whose org has no free slot comes back after about this long (jittered). */
const DEFER_SECONDS = 30;
/** Directory entries read per page, and messages sent at once. */
const DIRECTORY_PAGE = 100;
const SEND_CONCURRENCY = 10;

/** The message that starts one mapping's reconciliation, in the bus envelope every worker reads. */
export function reconcileEnvelope(orgId: string, mappingId: string): string {
  return JSON.stringify({
    'detail-type': 'sync.reconcile',
    source: 'integration-hub.hub',
    detail: {
      id: newId('evt'),
      type: 'sync.reconcile',
      tenantId: orgId,
      source: { provider: 'hub' },
      reconcile: { orgId, mappingId },
    },
  });
}

/**
 * The reconciliation schedule: one message per mapping of every active org on the reconcile queue,
 * nothing else. It reads only the mapping directory and the orgs (no provider call, no credential),
 * so one org's slow server cannot hold it up; the workers start each mapping's reconciliation.
 */
export function makeScheduleReconciliation(deps: {
  readonly store: Pick<SyncStore, 'mappingDirectory'>;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly queues: Pick<MessageQueues, 'send'>;
}) {
  return async (): Promise<{ queued: number; skipped: number }> => {
    const active = new Map<string, Promise<boolean>>();
    const isActive = (orgId: string) => {
      let known = active.get(orgId);
      if (!known) {
        known = deps.orgs.get(orgId).then((org) => org?.status === 'active');
        active.set(orgId, known);
      }
      return known;
    };
    let queued = 0;
    let skipped = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.store.mappingDirectory({ limit: DIRECTORY_PAGE, cursor });
      const entries = [...page.items];
      for (let i = 0; i < entries.length; i += SEND_CONCURRENCY) {
        await Promise.all(
          entries.slice(i, i + SEND_CONCURRENCY).map(async ({ orgId, mappingId }) => {
            // A suspended or deleted org's changes wait for its reactivation: its cursor stays put.
            if (!(await isActive(orgId))) {
              skipped += 1;
              return;
            }
            await deps.queues.send(SCAN_QUEUE, reconcileEnvelope(orgId, mappingId), { groupId: orgId });
            queued += 1;
          }),
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { queued, skipped };
  };
}

/**
 * Bounds an org's share of the scan workers: a few leases per org in the lock store (conditional
 * writes that expire), so an org with a thousand mappings, or a slow server, holds at most
 * `slots` workers while every other org's work goes on beside it.
 */
export function makeOrgSlots(locks: LockStore, slots = ORG_SCAN_SLOTS, ttlMs = SLOT_TTL_MS) {
  return {
    /** Runs `work` in one of the org's slots, or returns `{ ran: false }` when all are taken. */
    async run<T>(
      orgId: string,
      owner: string,
      work: () => Promise<T>,
    ): Promise<{ ran: true; value: T } | { ran: false }> {
      for (let slot = 0; slot < slots; slot += 1) {
        const name = `scan-slot#${slot}`;
        if (!(await locks.acquire(orgId, name, owner, ttlMs))) continue;
        try {
          return { ran: true, value: await work() };
        } finally {
          await locks
            .release(orgId, name, owner)
            .catch((error: unknown) =>
              logger.warn('Could not release a scan slot', { error: error as Error }),
            );
        }
      }
      return { ran: false };
    },
  };
}

export type OrgSlots = ReturnType<typeof makeOrgSlots>;

type ReconcileMessage = { readonly orgId: string; readonly mappingId: string };

/** What a reconcile-queue message asks for: a mapping's reconciliation to start, or one page of a scan. */
function parseWork(body: string) {
  let json: { detail?: { type?: unknown; reconcile?: Partial<ReconcileMessage> } };
  try {
    json = JSON.parse(body) as typeof json;
  } catch (cause) {
    throw new ValidationError('The message body is not JSON', [], { cause });
  }
  if (json?.detail?.type === 'sync.reconcile') {
    const { orgId, mappingId } = json.detail.reconcile ?? {};
    if (typeof orgId !== 'string' || typeof mappingId !== 'string')
      throw new ValidationError('The message is not a reconciliation');
    return { kind: 'reconcile' as const, orgId, mappingId };
  }
  return { kind: 'scan' as const, scan: parseScanMessage(body) };
}

export type ScanWorkOutcome = 'started' | 'not-started' | 'deferred' | 'done' | 'continued' | 'stale';

/**
 * The reconcile queue's worker: starts a mapping's reconciliation or runs a scan page, each in
 * one of its org's slots. Without a free slot the message goes back on the queue, delayed (a new
 * message, so waiting its turn never counts as a failed attempt).
 */
export function makeScanWork(deps: {
  readonly store: Pick<SyncStore, 'getMapping'>;
  readonly starter: Pick<ScanStarter, 'reconcile'>;
  readonly pages: ReturnType<typeof makeScanPages>;
  readonly slots: OrgSlots;
  readonly queues: Pick<MessageQueues, 'send'>;
  readonly random?: () => number;
}) {
  return async (body: string, messageId: string): Promise<ScanWorkOutcome> => {
    const work = parseWork(body);
    const orgId = work.kind === 'scan' ? work.scan.orgId : work.orgId;
    const result = await deps.slots.run(orgId, messageId, async (): Promise<ScanWorkOutcome> => {
      if (work.kind === 'scan') return deps.pages.page(work.scan);
      const mapping = await deps.store.getMapping(work.orgId, work.mappingId);
      if (!mapping) return 'stale';
      return (await deps.starter.reconcile(mapping)) ? 'started' : 'not-started';
    });
    if (result.ran) return result.value;
    const jitter = Math.round(DEFER_SECONDS * (deps.random ?? Math.random)());
    await deps.queues.send(SCAN_QUEUE, body, { delaySeconds: DEFER_SECONDS + jitter, groupId: orgId });
    return 'deferred';
  };
}
