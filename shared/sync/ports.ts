import type { AuditRecord } from '../audit/audit-record';
import type { ItemRef } from '../connectors/work-items';
import type { Page, PageRequest, QuotaClaim } from '../ports/stores';
import type { SyncJob, SyncJobCounters } from './jobs';
import type { Link } from './link';
import type { Mapping } from './mapping';

/** An item created on the other side for a claimed item, with the status its provider gave it. */
export interface Counterpart {
  readonly ref: ItemRef;
  readonly status: string | null;
}

/** Per connection: how its sync is going, for `GET …/connections/{id}/status`. */
export interface SyncStats {
  readonly connectionId: string;
  readonly lastSyncedAt: string | null;
  readonly lagMs: number | null;
  readonly changesSynced: number;
  readonly failures: number;
  readonly lastError: { message: string; at: string } | null;
}

export interface SyncStore {
  /** Stores a new mapping, counted against the plan's limit in the same transaction (QuotaExceededError at it). */
  createMapping(mapping: Mapping, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  /** Replaces the mapping if it is still at `expectedVersion`, with the audit record. */
  saveMapping(mapping: Mapping, expectedVersion: number, audit: AuditRecord): Promise<void>;
  /** Deletes a mapping and gives its place in the plan's limit back. */
  deleteMapping(orgId: string, mappingId: string, audit: AuditRecord): Promise<boolean>;
  getMapping(orgId: string, mappingId: string): Promise<Mapping | null>;
  listMappings(orgId: string): Promise<Mapping[]>;
  /** One page of every org's mappings (the reconciler's platform directory), in a stable order. */
  mappingDirectory(page: PageRequest): Promise<Page<{ orgId: string; mappingId: string }>>;

  /** The link an item belongs to, by one of its item keys. */
  findLinkId(orgId: string, itemKey: string): Promise<string | null>;
  getLink(orgId: string, linkId: string): Promise<Link | null>;
  listLinks(orgId: string, page: PageRequest): Promise<Page<Link>>;
  /**
   * Claims an item before its counterpart is created: null when another worker holds the claim or
   * the item is linked already, so two deliveries of one creation cannot create two counterparts.
   * A claim taken again (a retry, or after its holder died) comes with the counterpart an earlier
   * attempt created, if it recorded one.
   */
  claimItem(
    orgId: string,
    itemKey: string,
    claimedBy: string,
    ttlSeconds: number,
  ): Promise<{ readonly counterpart: Counterpart | null } | null>;
  /** Records on the claim the counterpart just created, before its link is written. */
  recordCounterpart(
    orgId: string,
    itemKey: string,
    claimedBy: string,
    counterpart: Counterpart,
  ): Promise<void>;
  /**
   * Claims a comment before it is mirrored: null while another worker holds the claim. A claim
   * taken again (a retry, or after its holder died) says when it was first taken and the mirrored
   * comment an earlier attempt recorded, if any; `retried` without `mirrored` means an earlier
   * attempt may have posted it without recording it.
   */
  claimComment(
    orgId: string,
    commentKey: string,
    claimedBy: string,
    ttlSeconds: number,
  ): Promise<{
    readonly mirrored: string | null;
    readonly retried: boolean;
    readonly claimedAt: string;
  } | null>;
  /** Records on the claim the comment just posted, before the link is saved. */
  recordMirroredComment(orgId: string, commentKey: string, mirrored: string): Promise<void>;
  /** Stores a new link and the keys that find it, replacing the claim, atomically. */
  createLink(link: Link, keys: readonly string[]): Promise<void>;
  /** Replaces the link if its revision is still `expectedRevision`; false if another change came first. */
  saveLink(link: Link, expectedRevision: number): Promise<boolean>;

  /**
   * Claims the right to apply one step of an item's progress (a pull request's stage), ranked by
   * `rank`: false when a step ranked as high or higher was applied already, so a replayed or late
   * delivery moves nothing back. A claim whose step did not finish can be taken again at its rank.
   */
  claimStep(orgId: string, key: string, rank: string): Promise<boolean>;
  /** Marks a claimed step applied. */
  finishStep(orgId: string, key: string, rank: string): Promise<void>;

  recordSync(
    orgId: string,
    connectionId: string,
    outcome: { at: Date; lagMs: number } | { at: Date; error: string },
  ): Promise<void>;
  getStats(orgId: string, connectionId: string): Promise<SyncStats>;
  /** Moves a mapping's reconciliation cursor forward (never back). */
  setCursor(orgId: string, mappingId: string, cursor: string, at: Date): Promise<void>;
  /** The time up to which a mapping's changes have been reconciled, if ever. */
  getCursor(
    orgId: string,
    mappingId: string,
  ): Promise<{ cursor: string | null; reconciledAt: string | null }>;

  createJob(job: SyncJob): Promise<void>;
  getJob(orgId: string, mappingId: string, kind: SyncJob['kind'], jobId: string): Promise<SyncJob | null>;
  /** The newest job of a kind for a mapping. */
  latestJob(orgId: string, mappingId: string, kind: SyncJob['kind']): Promise<SyncJob | null>;
  /**
   * Moves a job from checkpoint `from` to `to`, adding the page's counts: false when the job is no
   * longer at `from` (a duplicate delivery of the page already moved it).
   */
  advanceJob(
    job: SyncJob,
    from: string,
    to: string,
    add: SyncJobCounters,
    set: Partial<Pick<SyncJob, 'status' | 'finishedAt' | 'etaSeconds' | 'lastError' | 'updatedAt'>>,
  ): Promise<boolean>;
}
