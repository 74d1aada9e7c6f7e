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
  /** Replaces the endpoint if it is still at `expectedVersion`, with the audit record; false otherwise. */
  save(next: StoredEndpoint, expectedVersion: number, audit?: AuditRecord): Promise<boolean>;
  /** Deletes it and gives its count back, with the audit record; false when it was not there. */
  delete(orgId: string, endpointId: string, audit: AuditRecord): Promise<boolean>;
  /** Records a success: `lastSuccessAt`, and no longer failing. */
  markSucceeded(orgId: string, endpointId: string, at: Date): Promise<void>;
  /** Records that it started failing at `at`; false when it already was (or is gone). */
  markFailing(orgId: string, endpointId: string, at: Date): Promise<boolean>;
}
