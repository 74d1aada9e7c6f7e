import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError } from '../../errors';
import type { OrgStore } from '../../ports/stores';
import type { Org } from '../../tenancy/org';
import { OrgSchema } from '../../tenancy/org';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const ORG_SK = 'PROFILE';

export class DynamoDbOrgStore implements OrgStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string): TenantScopedTable {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  async create(org: Org, audit: AuditRecord): Promise<void> {
    const slugClaim = {
      Put: {
        TableName: this.tables.domainTable,
        Item: { PK: platformPk('SLUG', org.slug), SK: 'CLAIM', orgId: org.id },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
    const failed = await transactWrite(this.client, [
      this.table(org.id).putItem({ PK: tenantPk(org.id, TENANT_COLLECTIONS.org), SK: ORG_SK, ...org }),
      slugClaim,
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(1)) throw new ConflictError(`The slug "${org.slug}" is already taken`);
    if (failed.length > 0) throw new ConflictError(`Organisation ${org.id} already exists`);
  }

  async get(orgId: string): Promise<Org | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.org), ORG_SK);
    return item ? OrgSchema.parse(item) : null;
  }
}
