import * as z from 'zod';
import { SIDES } from './mapping';

/**
 * A scan of a mapping's items: a backfill (everything, once, when a mapping starts) or a
 * reconciliation (what changed since the last one, on a schedule). It runs one page per queue
 * message; each message carries the checkpoint it continues from, so a crash resumes there.
 */
export const SyncJobSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    mappingId: z.string(),
    kind: z.enum(['backfill', 'reconcile']),
    status: z.enum(['running', 'completed']),
    since: z.iso.datetime().describe('Items changed from this time on are looked at'),
    until: z.iso
      .datetime()
      .describe('…up to this time; later changes are the webhooks’ (and the next run’s)'),
    checkpoint: z.string().describe('Where the next page starts: `<side>:<page cursor>`'),
    total: z.number().int().nullable().describe('About how many items there are to look at'),
    processed: z.number().int(),
    created: z.number().int().describe('Items that got a counterpart (and a link)'),
    updated: z.number().int().describe('Linked items whose differences were synced'),
    unchanged: z.number().int(),
    failed: z.number().int(),
    pages: z.number().int(),
    lastError: z.object({ message: z.string(), at: z.iso.datetime() }).nullable(),
    startedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    etaSeconds: z
      .number()
      .nullable()
      .describe('At the rate so far, seconds until the items left are looked at (null until a page is done)'),
  })
  .meta({ id: 'SyncJob' });

export type SyncJob = z.infer<typeof SyncJobSchema>;
export type SyncJobCounters = Pick<
  SyncJob,
  'processed' | 'created' | 'updated' | 'unchanged' | 'failed' | 'pages'
>;

/** The queue message that runs one page of a job. */
export const ScanMessageSchema = z.object({
  orgId: z.string(),
  jobId: z.string(),
  mappingId: z.string(),
  kind: z.enum(['backfill', 'reconcile']),
  side: z.enum(SIDES),
  /** The page cursor on that side (a page token or a page number, as the provider pages); empty for the first. */
  cursor: z.string(),
});
export type ScanMessage = z.infer<typeof ScanMessageSchema>;

/**
 * A running job that has not moved for this long is abandoned (its page was skipped while its org
 * was suspended, or its worker gave up): another may start in its place, from the same cursor.
 */
export const ABANDONED_JOB_MS = 15 * 60_000;

/** Whether a job is still running and moving. */
export const isActiveJob = (job: SyncJob | null, now: Date): boolean =>
  job?.status === 'running' && now.getTime() - Date.parse(job.updatedAt) < ABANDONED_JOB_MS;

export const checkpointOf = (m: Pick<ScanMessage, 'side' | 'cursor'>) => `${m.side}:${m.cursor}`;

/** Seconds left at the rate so far. */
export function etaSeconds(
  job: Pick<SyncJob, 'total' | 'processed' | 'startedAt'>,
  now: Date,
): number | null {
  if (job.total === null || job.processed === 0) return null;
  const elapsed = (now.getTime() - Date.parse(job.startedAt)) / 1000;
  const left = Math.max(0, job.total - job.processed);
  return Math.round((left * elapsed) / job.processed);
}
