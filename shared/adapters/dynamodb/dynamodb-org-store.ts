import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, ValidationError } from '../../errors';
import type { OrgStore, Page, PageRequest, Versioned } from '../../ports/stores';
import type { Org } from '../../tenancy/org';
import { OrgSchema } from '../../tenancy/org';
import { noteRetention } from '../../tenancy/retention';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const ORG_SK = 'PROFILE';
/** The platform's directory of orgs: one partition, for the platform admin's list. */
const DIRECTORY_PK = platformPk('ORGS', 'ALL');
/** Deleted orgs by the time their purge is due. */
export const PURGE_PK = platformPk('PURGE', 'DUE');

export class DynamoDbOrgStore implements OrgStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string): TenantScopedTable {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  /** The directory holds a copy of each org, so the platform's list is one query. */
  private directoryPut(org: Org): TransactItem {
    return { Put: { TableName: this.tables.domainTable, Item: { PK: DIRECTORY_PK, SK: org.id, ...org } } };
  }

  async create(org: Org, audit: AuditRecord): Promise<void> {
    noteRetention(org.id, org.settings.dataRetentionDays);
    const slugClaim = {
      Put: {
        TableName: this.tables.domainTable,
        Item: { PK: platformPk('SLUG', org.slug), SK: 'CLAIM', orgId: org.id },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
    const failed = await transactWrite(this.client, [
      this.table(org.id).putItem({
        PK: tenantPk(org.id, TENANT_COLLECTIONS.org),
        SK: ORG_SK,
        ...org,
        version: 1,
      }),
      slugClaim,
      this.directoryPut(org),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(1)) throw new ConflictError(`The slug "${org.slug}" is already taken`);
    if (failed.length > 0) throw new ConflictError(`Organisation ${org.id} already exists`);
  }

  async get(orgId: string): Promise<Org | null> {
    return (await this.getVersioned(orgId))?.value ?? null;
  }

  async getVersioned(orgId: string): Promise<Versioned<Org> | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.org), ORG_SK);
    if (!item) return null;
    const org = OrgSchema.parse(item);
    // Every request and message reads its org first: what it writes next expires by this retention.
    noteRetention(org.id, org.settings.dataRetentionDays);
    return { value: org, version: Number(item.version ?? 1) };
  }

  async save(org: Org, expectedVersion: number, audit: AuditRecord, previous?: Org): Promise<void> {
    const purgeKey = (o: Org) => ({ PK: PURGE_PK, SK: `${o.purgeAfter}#${o.id}` });
    const schedule: TransactItem[] = [];
    const unscheduling = previous?.status === 'deleted' && previous.purgeAfter !== undefined;
    if (previous?.status === 'deleted' && previous.purgeAfter) {
      // An org whose purge has begun is not brought back half empty.
      schedule.push({
        Delete: {
          TableName: this.tables.domainTable,
          Key: purgeKey(previous),
          ConditionExpression: 'attribute_not_exists(purgeStartedAt)',
        },
      });
    }
    if (org.status === 'deleted' && org.purgeAfter) {
      schedule.push({
        Put: {
          TableName: this.tables.domainTable,
          Item: { ...purgeKey(org), orgId: org.id, purgeAfter: org.purgeAfter },
        },
      });
    }
    const failed = await transactWrite(this.client, [
      this.table(org.id).replaceItem(
        { PK: tenantPk(org.id, TENANT_COLLECTIONS.org), SK: ORG_SK, ...org, version: expectedVersion + 1 },
        expectedVersion,
      ),
      this.directoryPut(org),
      auditPut(this.tables.auditTable, audit),
      ...schedule,
    ]);
    if (unscheduling && failed.includes(3))
      throw new ConflictError(`Organisation ${org.id} is being purged; it can no longer be restored`);
    if (failed.length > 0)
      throw new ConflictError(`Organisation ${org.id} was changed concurrently; read it again`);
    // A new retention applies to what is written from now on (the change's own record kept the old one).
    noteRetention(org.id, org.settings.dataRetentionDays);
  }

  async duePurges(now: Date, limit: number): Promise<{ orgId: string; purgeAfter: string }[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk AND SK <= :now',
        // '~' sorts after every org id, so every entry due at `now` is included.
        ExpressionAttributeValues: { ':pk': PURGE_PK, ':now': `${now.toISOString()}#~` },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({
      orgId: String(i.orgId),
      purgeAfter: String(i.purgeAfter),
      ...(i.removed ? { removed: i.removed as Record<string, number> } : {}),
    }));
  }

  async recordPurgeProgress(
    orgId: string,
    purgeAfter: string,
    removed: Record<string, number>,
  ): Promise<boolean> {
    const noted = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: PURGE_PK, SK: `${purgeAfter}#${orgId}` },
          UpdateExpression: 'SET removed = :removed, purgeStartedAt = if_not_exists(purgeStartedAt, :now)',
          // Gone: restored just now, or finished by another run meanwhile.
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':removed': removed, ':now': new Date().toISOString() },
        }),
      ),
    );
    return noted !== undefined;
  }

  async clearPurge(orgId: string, purgeAfter: string, audit?: AuditRecord): Promise<void> {
    const key = { PK: PURGE_PK, SK: `${purgeAfter}#${orgId}` };
    if (!audit) {
      await this.client.send(new DeleteCommand({ TableName: this.tables.domainTable, Key: key }));
      return;
    }
    // The removal record and the end of the schedule entry together: one record however often a run is cut short.
    await transactWrite(this.client, [
      {
        Delete: { TableName: this.tables.domainTable, Key: key, ConditionExpression: 'attribute_exists(PK)' },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
  }

  async list(page: PageRequest): Promise<Page<Org>> {
    let start: Record<string, unknown> | undefined;
    if (page.cursor !== undefined) {
      if (!/^org_[0-9A-Z]{26}$/.test(page.cursor))
        throw new ValidationError('The cursor is not valid', [
          { path: 'cursor', message: 'not from this list' },
        ]);
      start = { PK: DIRECTORY_PK, SK: page.cursor };
    }
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': DIRECTORY_PK },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: start,
      }),
    );
    return {
      items: (out.Items ?? []).map((item) => OrgSchema.parse(item)),
      nextCursor: out.LastEvaluatedKey ? String(out.LastEvaluatedKey.SK) : null,
    };
  }
}
