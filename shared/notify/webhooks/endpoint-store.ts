import type { AuditRecord } from '../../audit/audit-record';
import type { QuotaClaim } from '../../ports/stores';
import type { StoredEndpoint } from './endpoint';

/** An org's outbound webhook endpoints. */
export interface WebhookEndpointStore {
  /** Adds the endpoint, counted against the plan's limit, with its audit record. */
  create(endpoint: StoredEndpoint, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  get(orgId: string, endpointId: string): Promise<StoredEndpoint | null>;
  /** Every endpoint of the org (bounded by the plan's limit). */
  list(orgId: string): Promise<StoredEndpoint[]>;
  /**
   * Writes the endpoint's settings and secrets (the attributes of `SETTINGS`) from `next` if it is
   * still at `expectedVersion`, with the audit record; false otherwise. Its health (last success,
   * failing since, warned, disabled reason) is left as recorded meanwhile, or, with `resetHealth`
   * (a person enabled it again), cleared.
   */
  saveSettings(
    next: StoredEndpoint,
    expectedVersion: number,
    audit: AuditRecord,
    options?: { resetHealth?: boolean },
  ): Promise<boolean>;
  /** Disables it with the reason (a health decision, audited); false when it already was disabled or is gone. */
  disable(orgId: string, endpointId: string, reason: string, at: Date, audit: AuditRecord): Promise<boolean>;
  /** Notes that its admins were warned of the failing spell that began at `failingSince`, audited; false when already noted or that spell ended. */
  markWarned(
    orgId: string,
    endpointId: string,
    failingSince: string,
    at: Date,
    audit: AuditRecord,
  ): Promise<boolean>;
  /** Deletes it and gives its count back, with the audit record; false when it was not there. */
  delete(orgId: string, endpointId: string, audit: AuditRecord): Promise<boolean>;
  /** Records a success: `lastSuccessAt`, and no longer failing. */
  markSucceeded(orgId: string, endpointId: string, at: Date): Promise<void>;
  /** Records that it started failing at `at`; false when it already was (or is gone). */
  markFailing(orgId: string, endpointId: string, at: Date): Promise<boolean>;
}
