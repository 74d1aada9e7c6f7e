import type { AuditRecord } from '../../audit/audit-record';
import type { OrgAccess } from '../../authz/org-access';
import { AccessPolicySchema, CustomRoleSchema } from '../../authz/org-access';
import type { TablesConfig } from '../../config/config';
import { ConflictError } from '../../errors';
import type { AccessStore, Versioned } from '../../ports/stores';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const SK = 'RULES';

/** One item per org: its custom roles and policies, bounded in number and size, read as a whole. */
export class DynamoDbAccessStore implements AccessStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  async get(orgId: string): Promise<Versioned<OrgAccess>> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const item = await table.get(tenantPk(orgId, TENANT_COLLECTIONS.access), SK);
    if (!item) return { value: { roles: [], policies: [] }, version: 0 };
    return {
      value: {
        roles: ((item.roles as unknown[]) ?? []).map((r) => CustomRoleSchema.parse(r)),
        policies: ((item.policies as unknown[]) ?? []).map((p) => AccessPolicySchema.parse(p)),
      },
      version: Number(item.version),
    };
  }

  async save(orgId: string, access: OrgAccess, expectedVersion: number, audit: AuditRecord): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.access);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: pk, SK, roles: access.roles, policies: access.policies, version: expectedVersion + 1 },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(PK)' : '#version = :expected',
          ExpressionAttributeNames: expectedVersion === 0 ? undefined : { '#version': 'version' },
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ':expected': expectedVersion },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) {
      throw new ConflictError("The organisation's roles or policies changed meanwhile; try again");
    }
  }
}
