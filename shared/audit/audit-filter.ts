import type { AuditRecord } from './audit-record';

/** What the audit trail can be filtered by; every field is optional. */
export interface AuditFilter {
  readonly actorId?: string | undefined;
  readonly action?: string | undefined;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  readonly outcome?: AuditRecord['outcome'] | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}
