import type { AuditRecord } from '../audit/audit-record';
import type { CanonicalEvent } from '../events/canonical-event';
import type { Page, PageRequest, QuotaClaim } from '../ports/stores';
import type { StoredApproval } from './approval';

/** How a pending approval is resolved; each is a conditional write on its state and its time. */
export type Resolution = 'decide' | 'cancel' | 'expire';

/**
 * An org's approvals. Every change is written with its audit record and its event (an outbox the
 * table's stream publishes), in one transaction.
 */
export interface ApprovalStore {
  /** Adds a pending approval, counted against the plan's pending approvals. */
  create(
    approval: StoredApproval,
    audit: AuditRecord,
    quota: QuotaClaim,
    event: CanonicalEvent,
  ): Promise<void>;
  get(orgId: string, approvalId: string): Promise<StoredApproval | null>;
  /** Newest first; `status` as it stands at `now` (a pending one past its time counts as expired). */
  list(
    orgId: string,
    status: StoredApproval['status'] | undefined,
    now: Date,
    page: PageRequest,
  ): Promise<Page<StoredApproval>>;
  /**
   * Writes `next` if the approval is still pending and, at `now`, not yet expired (`decide`,
   * `cancel`) or expired (`expire`), giving its pending count back; false when another writer came
   * first or the time does not fit. Two answers at once: exactly one of them is written.
   */
  resolve(
    next: StoredApproval,
    how: Resolution,
    now: Date,
    audit: AuditRecord,
    event: CanonicalEvent,
  ): Promise<boolean>;
}
