import {
  ConflictError,
  DependencyUnavailableError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../errors';
import { newId } from '../ids';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { MessageQueues } from '../ports/message-queue';
import { zodIssues } from '../validation';
import type { ScanMessage, SyncJob } from './jobs';
import { checkpointOf, etaSeconds, isActiveJob, ScanMessageSchema } from './jobs';
import type { Mapping } from './mapping';
import { containerOf } from './mapping';
import type { SyncStore } from './ports';
import type { SyncProviders } from './providers';
import type { SyncEngine } from './sync-engine';

/** The queue scan pages run on. */
export const SCAN_QUEUE = 'reconcile';
/** Reconciliation re-reads a little before its cursor: a tracker's query may compare to the minute. */
const OVERLAP_MS = 2 * 60_000;
/** …and leaves the last moments to the webhooks still in flight, for its next run. */
const SETTLE_MS = 30_000;

export interface ScanDeps {
  readonly store: SyncStore;
  readonly providers: SyncProviders;
  readonly engine: SyncEngine;
  readonly queues: Pick<MessageQueues, 'send'>;
  readonly clock: Clock;
  /** How long reconciliation leaves recent changes to the webhooks in flight (30 s unless set). */
  readonly settleMs?: number;
}

/** A scan message in the bus envelope every worker reads, so failures are parked per org like any event. */
export function scanEnvelope(message: ScanMessage, connectionId: string): string {
  return JSON.stringify({
    'detail-type': 'sync.scan',
    source: 'integration-hub.hub',
    detail: {
      id: newId('evt'),
      type: 'sync.scan',
      tenantId: message.orgId,
      source: { provider: 'hub', connectionId },
      scan: message,
    },
  });
}

/** A scan message, or a ValidationError: a malformed message is parked with the reason, not retried. */
export function parseScanMessage(body: string): ScanMessage {
  let json: { detail?: { scan?: unknown } };
  try {
    json = JSON.parse(body) as typeof json;
  } catch (cause) {
    throw new ValidationError('The message body is not JSON', [], { cause });
  }
  const parsed = ScanMessageSchema.safeParse(json?.detail?.scan);
  if (!parsed.success) throw new ValidationError('The message is not a scan page', zodIssues(parsed.error));
  return parsed.data;
}

const retryable = (error: unknown) =>
  error instanceof ProviderUnavailableError ||
  error instanceof ProviderRateLimitedError ||
  error instanceof DependencyUnavailableError;

/** Starts scans: a job, its first page queued. The pages themselves run in the scan worker. */
export function makeScanStarter(deps: Omit<ScanDeps, 'engine'>) {
  const { store, providers, clock } = deps;

  async function start(mapping: Mapping, kind: SyncJob['kind'], since: Date, until: Date): Promise<SyncJob> {
    let total: number | null = null;
    // Both connections must be usable (credentials set, not disabled): a scan that could only fail
    // is refused here, with the reason, instead of filling the dead letters every few minutes.
    const tracker = await providers.tracker(mapping.orgId, mapping.tracker.connectionId);
    const codeHost = await providers.codeHost(mapping.orgId, mapping.codeHost.connectionId);
    try {
      const counts = await Promise.all([
        tracker.client.estimateChangedSince(mapping.tracker.project, since),
        codeHost.client.estimateChangedSince(mapping.codeHost.repository, since),
      ]);
      total = counts.includes(null) ? null : counts.reduce<number>((sum, n) => sum + (n ?? 0), 0);
    } catch (error) {
      // The estimate is for the ETA only: the scan itself retries what fails.
      logger.warn('Could not estimate a scan', { error: error as Error, mappingId: mapping.id });
    }
    const now = clock.now();
    const job: SyncJob = {
      id: newId('job'),
      orgId: mapping.orgId,
      mappingId: mapping.id,
      kind,
      status: 'running',
      since: since.toISOString(),
      until: until.toISOString(),
      checkpoint: checkpointOf({ side: 'tracker', cursor: '' }),
      total,
      processed: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
      pages: 0,
      lastError: null,
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      finishedAt: null,
      etaSeconds: null,
    };
    await store.createJob(job);
    await deps.queues.send(
      SCAN_QUEUE,
      scanEnvelope(
        { orgId: job.orgId, jobId: job.id, mappingId: mapping.id, kind, side: 'tracker', cursor: '' },
        mapping.tracker.connectionId,
      ),
      { groupId: job.orgId },
    );
    return job;
  }

  return {
    /** Everything in both tools, once (a new mapping's existing issues). */
    backfill: (mapping: Mapping) => start(mapping, 'backfill', new Date(0), clock.now()),
    /** What changed since the mapping's cursor, up to a little before now. */
    reconcile: async (mapping: Mapping) => {
      const { cursor } = await store.getCursor(mapping.orgId, mapping.id);
      const running = await store.latestJob(mapping.orgId, mapping.id, 'reconcile');
      // One reconciliation at a time per mapping: a slow one is left to finish, not doubled.
      if (isActiveJob(running, clock.now())) return null;
      const since = new Date(Date.parse(cursor ?? mapping.createdAt) - OVERLAP_MS);
      try {
        return await start(
          mapping,
          'reconcile',
          since,
          new Date(clock.now().getTime() - (deps.settleMs ?? SETTLE_MS)),
        );
      } catch (error) {
        // A connection without credentials, or disabled: nothing to reconcile until it is fixed.
        if (error instanceof ConflictError || error instanceof ValidationError) {
          logger.info('Reconciliation skipped', { mappingId: mapping.id, reason: error.message });
          return null;
        }
        throw error;
      }
    },
  };
}

export type ScanStarter = ReturnType<typeof makeScanStarter>;

/** Runs scan pages: each syncs what one page lists, queues the next, and moves the job's checkpoint. */
export function makeScanPages(deps: ScanDeps) {
  const { store, providers, engine, clock } = deps;
  /** One page of a job: sync what it lists, queue the next page, then move the job's checkpoint. */
  async function page(message: ScanMessage): Promise<'done' | 'continued' | 'stale'> {
    const mapping = await store.getMapping(message.orgId, message.mappingId);
    if (!mapping) return 'stale';
    const job = await store.getJob(message.orgId, message.mappingId, message.kind, message.jobId);
    const from = checkpointOf(message);
    // Finished, or this page was already done (a duplicate delivery): nothing to do.
    if (job?.status !== 'running' || job.checkpoint !== from) return 'stale';
    const since = new Date(job.since);
    const until = Date.parse(job.until);
    const now = clock.now();
    const connectionId = mapping[message.side].connectionId;
    const { client } =
      message.side === 'tracker'
        ? await providers.tracker(message.orgId, connectionId)
        : await providers.codeHost(message.orgId, connectionId);
    const { items, next } = await client.changedSince(
      containerOf(mapping, message.side),
      since,
      message.cursor || null,
    );
    const counts = { processed: 0, created: 0, updated: 0, unchanged: 0, failed: 0, pages: 1 };
    let lastError: SyncJob['lastError'] = null;
    for (const item of items) {
      // Changes after the job's end are the webhooks' to bring (or the next run's).
      if (Date.parse(item.at) >= until) continue;
      counts.processed += 1;
      try {
        const outcome = await engine.snapshot(mapping, message.side, item);
        if (outcome === 'created') counts.created += 1;
        else if (outcome === 'updated') counts.updated += 1;
        else counts.unchanged += 1;
      } catch (error) {
        // The provider is down or busy: the page is retried whole (its finished items are no-ops then).
        if (retryable(error)) throw error;
        counts.failed += 1;
        lastError = { message: (error as Error).message, at: now.toISOString() };
      }
    }
    const following: ScanMessage | null = next
      ? { ...message, cursor: next }
      : message.side === 'tracker'
        ? { ...message, side: 'codeHost' as const, cursor: '' }
        : null;
    // The next page is queued before the checkpoint moves: a crash in between repeats this page
    // (harmless), never loses the rest of the scan.
    if (following)
      await deps.queues.send(SCAN_QUEUE, scanEnvelope(following, mapping[following.side].connectionId), {
        groupId: following.orgId,
      });
    const done = following === null;
    const at = clock.now();
    const progressed = { ...job, processed: job.processed + counts.processed };
    const moved = await store.advanceJob(job, from, following ? checkpointOf(following) : 'done', counts, {
      updatedAt: at.toISOString(),
      etaSeconds: done ? 0 : etaSeconds(progressed, at),
      ...(lastError ? { lastError } : {}),
      ...(done ? { status: 'completed' as const, finishedAt: at.toISOString() } : {}),
    });
    if (!moved) return 'stale';
    if (done && job.kind === 'reconcile') await store.setCursor(job.orgId, job.mappingId, job.until, at);
    return done ? 'done' : 'continued';
  }

  return { page };
}
