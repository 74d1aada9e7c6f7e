import { TtlCache } from '../ttl-cache';

/** An org keeps its data seven years unless it chooses otherwise, between 30 days and ten years. */
export const DEFAULT_RETENTION_DAYS = 2555;
export const MIN_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;
/** The audit trail is kept at least a year, whatever the org's retention. */
export const AUDIT_MIN_RETENTION_DAYS = 365;

/** How long an execution environment trusts a retention it read: a change applies to items written after that. */
export const RETENTION_KNOWN_SECONDS = 60;

const known = new TtlCache<number>(RETENTION_KNOWN_SECONDS * 1000, 10_000);

/**
 * Notes an org's retention as the org is read or written (the org store calls this), so writers
 * of events, dead letters and audit records know it without reading the org again: every request
 * and every queue message resolves its org through the tenant directory before it writes.
 */
export function noteRetention(orgId: string, days: number): void {
  known.set(orgId, days);
}

/**
 * The days an org keeps its events and dead letters. Unknown (not read in this environment for a
 * minute): the longest an org may choose, so nothing is ever deleted before its time.
 */
export function dataRetentionDays(orgId: string): number {
  return known.get(orgId) ?? MAX_RETENTION_DAYS;
}

/** The days an org keeps its audit records: its retention, never less than a year. */
export function auditRetentionDays(orgId: string): number {
  return Math.max(AUDIT_MIN_RETENTION_DAYS, dataRetentionDays(orgId));
}

/** When an item written at `writtenAt` expires, in the epoch seconds DynamoDB's TTL reads. */
export function expiresAfter(writtenAt: Date | string, days: number): number {
  return Math.floor((new Date(writtenAt).getTime() + days * 86_400_000) / 1000);
}

/**
 * The retention periods object storage expires by (one lifecycle rule per class, by tag): an org's
 * retention rounds up to the next class, so an object is never deleted before its org's time.
 */
export const RETENTION_CLASSES = [30, 60, 90, 180, 365, 730, 1095, 1825, 2555, MAX_RETENTION_DAYS] as const;
export const RETENTION_TAG = 'retention-days';

/** The class an org's retention falls into: the shortest that keeps its data at least as long. */
export function retentionClass(days: number): number {
  return RETENTION_CLASSES.find((c) => c >= days) ?? MAX_RETENTION_DAYS;
}
