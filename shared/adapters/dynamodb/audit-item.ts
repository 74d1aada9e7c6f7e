import type { AuditRecord } from '../../audit/audit-record';
import { auditRetentionDays, expiresAfter } from '../../tenancy/retention';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { TransactItem } from './tenant-scoped-table';

/**
 * The audit-table write that goes into the same transaction as the change it records: the one
 * place an audit item is built, so every record expires by its org's retention (at least a year).
 */
export function auditPut(auditTable: string, record: AuditRecord): TransactItem {
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
        expiresAt: expiresAfter(record.occurredAt, auditRetentionDays(record.orgId)),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}
