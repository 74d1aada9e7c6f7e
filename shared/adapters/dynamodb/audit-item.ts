import type { AuditRecord } from '../../audit/audit-record';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { TransactItem } from './tenant-scoped-table';

/** Audit records are kept for the org's retention period (seven years by default). */
const RETENTION_YEARS = 7;

/** The audit-table write that goes into the same transaction as the change it records. */
export function auditPut(auditTable: string, record: AuditRecord): TransactItem {
  const expires = new Date(record.occurredAt);
  expires.setUTCFullYear(expires.getUTCFullYear() + RETENTION_YEARS);
  return {
    Put: {
      TableName: auditTable,
      Item: {
        PK: tenantPk(record.orgId, TENANT_COLLECTIONS.audit),
        SK: record.id,
        ...record,
        // Flat copies of the targets, so the trail can be filtered by target with contains().
        targetKeys: record.targets.map((t) => `${t.type}#${t.id}`),
        targetTypes: [...new Set(record.targets.map((t) => t.type))],
        expiresAt: epochSeconds(expires),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}
