import type { AuditRecord } from '../audit/audit-record';
import type { Page, PageRequest } from '../ports/stores';
import type { Link } from './link';
import type { Mapping } from './mapping';

/** Per connection: how its sync is going, for `GET …/connections/{id}/status`. */
export interface SyncStats {
  readonly connectionId: string;
  readonly lastSyncedAt: string | null;
  readonly lagMs: number | null;
  readonly changesSynced: number;
  readonly failures: number;
  readonly lastError: { message: string; at: string } | null;
  readonly reconciledAt: string | null;
  readonly cursor: string | null;
}

export interface SyncStore {
  createMapping(mapping: Mapping, audit: AuditRecord): Promise<void>;
  /** Replaces the mapping if it is still at `expectedVersion`, with the audit record. */
  saveMapping(mapping: Mapping, expectedVersion: number, audit: AuditRecord): Promise<void>;
  deleteMapping(orgId: string, mappingId: string, audit: AuditRecord): Promise<boolean>;
  getMapping(orgId: string, mappingId: string): Promise<Mapping | null>;
  listMappings(orgId: string): Promise<Mapping[]>;

  /** The link an item belongs to, by one of its item keys. */
  findLinkId(orgId: string, itemKey: string): Promise<string | null>;
  getLink(orgId: string, linkId: string): Promise<Link | null>;
  listLinks(orgId: string, page: PageRequest): Promise<Page<Link>>;
  /**
   * Claims an item before its counterpart is created: false when another worker holds the claim or
   * the item is linked already, so two deliveries of one creation cannot create two counterparts.
   */
  claimItem(orgId: string, itemKey: string, claimedBy: string, ttlSeconds: number): Promise<boolean>;
  /** Stores a new link and the keys that find it, replacing the claim, atomically. */
  createLink(link: Link, keys: readonly string[]): Promise<void>;
  /** Replaces the link if its revision is still `expectedRevision`; false if another change came first. */
  saveLink(link: Link, expectedRevision: number): Promise<boolean>;
  /** Adds a key that finds the link (a Jira issue's new key after a move). */
  addLinkKey(orgId: string, linkId: string, itemKey: string): Promise<void>;

  recordSync(
    orgId: string,
    connectionId: string,
    outcome: { at: Date; lagMs: number } | { at: Date; error: string },
  ): Promise<void>;
  getStats(orgId: string, connectionId: string): Promise<SyncStats>;
  /** Moves a connection's reconciliation cursor forward (never back). */
  setCursor(orgId: string, connectionId: string, cursor: string, at: Date): Promise<void>;
}
