import type { AuditRecord } from '../../audit/audit-record';
import type { Page, PageRequest, Versioned } from '../../ports/stores';
import type { EventSummary } from '../render/describe-event';
import type { NotificationPreferences } from './preferences';

/**
 * Preferences as stored: `emailOffByUser` when the user turned email off themself (their own PUT,
 * or an unsubscribe link): then only they may turn it on again, not an admin with users:manage.
 */
export type StoredPreferences = NotificationPreferences & { readonly emailOffByUser?: boolean };

/** Each user's notification preferences, one item per user with a version. */
export interface NotificationPreferenceStore {
  /** The user's preferences, or null (the defaults apply) at version 0. */
  get(orgId: string, userId: string): Promise<Versioned<StoredPreferences & { updatedAt: string }> | null>;
  /** Several users' preferences at once (those who never set any are absent). */
  getMany(orgId: string, userIds: readonly string[]): Promise<Map<string, NotificationPreferences>>;
  /** Replaces them if still at `expectedVersion` (0: never set), with the audit record; ConflictError otherwise. */
  save(
    orgId: string,
    userId: string,
    prefs: StoredPreferences,
    updatedAt: string,
    expectedVersion: number,
    audit: AuditRecord,
  ): Promise<void>;
}

export const SUPPRESSION_REASONS = ['bounce', 'complaint', 'unsubscribed'] as const;

/** An address no email of the org goes to. */
export interface MailSuppression {
  /** Lower-case. */
  readonly address: string;
  readonly reason: (typeof SUPPRESSION_REASONS)[number];
  /** What the mail service said (a bounce's subtype, a complaint's feedback type), bounded. */
  readonly detail: string | null;
  readonly suppressedAt: string;
}

export interface MailSuppressionStore {
  /** Suppresses the address with the audit record; false (nothing written) when it already is. */
  suppress(orgId: string, suppression: MailSuppression, audit: AuditRecord): Promise<boolean>;
  /** Which of the addresses are suppressed (lower-case). */
  suppressed(orgId: string, addresses: readonly string[]): Promise<Set<string>>;
  list(orgId: string, page: PageRequest): Promise<Page<MailSuppression>>;
  /** Lifts a suppression with the audit record; NotFoundError when there is none. */
  remove(orgId: string, address: string, audit: AuditRecord): Promise<void>;
}

/** Whom an unsubscribe link stops: a hub user (their email preferences), or a bare address (suppressed). */
export type UnsubscribeSubject =
  | { readonly orgId: string; readonly userId: string }
  | { readonly orgId: string; readonly address: string };

/** Unsubscribe tokens, by their hash only, under a platform prefix (the link has no org in it). */
export interface UnsubscribeTokenStore {
  put(tokenHash: string, subject: UnsubscribeSubject, expiresAt: Date): Promise<void>;
  find(tokenHash: string): Promise<UnsubscribeSubject | null>;
}

/** One event waiting in a user's digest. */
export interface DigestEntry {
  /** Its place in the user's digest (the store's sort key). */
  readonly key: string;
  readonly summary: EventSummary;
}

/** Users' digests: the events collected for each, and a record per sending so none goes twice. */
export interface DigestStore {
  /** Adds an event to the user's digest; adding the same event again keeps one. */
  append(orgId: string, userId: string, summary: EventSummary, expiresAt: Date): Promise<void>;
  /** The user's waiting events, oldest first, at most `limit`. */
  pending(orgId: string, userId: string, limit: number): Promise<DigestEntry[]>;
  /**
   * Claims the sending of the digest due at `dueAt` with the entries it lists: `claimed` (send it),
   * `sent` (already sent: clear its entries), or `busy` (another sender holds it).
   */
  claim(
    orgId: string,
    userId: string,
    dueAt: string,
    keys: readonly string[],
    now: Date,
    leaseMs: number,
  ): Promise<{ state: 'claimed' | 'sent' | 'busy'; keys: readonly string[] }>;
  /** Marks the claimed digest sent (conditional on the claim still being this sender's). */
  markSent(orgId: string, userId: string, dueAt: string, messageId: string): Promise<void>;
  /** Removes sent entries. */
  clear(orgId: string, userId: string, keys: readonly string[]): Promise<void>;
}

/**
 * The org's notification emails per UTC day, counted atomically in its usage partition (a day is
 * `YYYY-MM-DD`). Each event's share is decided once: matching it again finds its decision kept.
 */
export interface EmailQuotaStore {
  /**
   * Takes up to `wanted` of the day's `limit` for the event; answers how many it got (the same
   * answer for the same event however often it is asked).
   */
  consume(orgId: string, day: string, eventId: string, wanted: number, limit: number): Promise<number>;
  /** Emails counted on the day. */
  countOn(orgId: string, day: string): Promise<number>;
  /**
   * Marks that the org's admins were told the day's quota is reached, with the audit record, once
   * per day: true for the first caller only.
   */
  claimNotice(orgId: string, day: string, audit: AuditRecord): Promise<boolean>;
}

/** Where a bare address (one that is no user of the org) stands: email goes to it only once confirmed. */
export interface AddressConfirmation {
  /** Lower-case. */
  readonly address: string;
  readonly state: 'pending' | 'confirmed';
  /** When the last confirmation email was sent. */
  readonly requestedAt: string;
  readonly confirmedAt?: string;
}

/** Double opt-in of bare addresses, per org; tokens by their hash under a platform prefix, single use. */
export interface AddressConfirmationStore {
  /** The known addresses' states (an address never asked is absent). */
  states(orgId: string, addresses: readonly string[]): Promise<Map<string, AddressConfirmation>>;
  /**
   * Marks the address pending and stores the token, with the audit record, unless it is confirmed
   * or was asked since `notBefore` (then false: no email is to be sent).
   */
  request(
    orgId: string,
    address: string,
    tokenHash: string,
    at: Date,
    tokenExpiresAt: Date,
    notBefore: Date,
    audit: AuditRecord,
  ): Promise<boolean>;
  /** The org and address a live token confirms; null when unknown, spent or expired. */
  findToken(tokenHash: string): Promise<{ orgId: string; address: string } | null>;
  /** Spends the token and confirms its address, with the audit record; null when it is not live. */
  confirm(
    tokenHash: string,
    at: Date,
    audit: (subject: { orgId: string; address: string }) => AuditRecord,
  ): Promise<{ orgId: string; address: string } | null>;
}
