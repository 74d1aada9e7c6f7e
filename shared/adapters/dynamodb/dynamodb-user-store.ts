import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { Page, PageRequest, QuotaClaim, UserStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';
import { UserSchema } from '../../tenancy/user';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota } from './usage-items';

export class DynamoDbUserStore implements UserStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  async create(user: User, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(user.orgId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: tenantPk(user.orgId, TENANT_COLLECTIONS.users), SK: user.id, ...user }),
      // One user per email within an org; the same person may be a user of other orgs too.
      table.putItem({
        PK: tenantPk(user.orgId, TENANT_COLLECTIONS.userEmails),
        SK: user.email,
        userId: user.id,
      }),
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(1)) throw new ConflictError(`${user.email} is already a user of this organisation`);
    if (failed.includes(2)) throw new QuotaExceededError(`The plan allows ${quota.limit} users`);
    if (failed.length > 0) throw new ConflictError(`User ${user.id} already exists`);
  }

  async get(orgId: string, userId: string): Promise<User | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.users), userId);
    return item ? UserSchema.parse(item) : null;
  }

  async findByEmail(orgId: string, email: string): Promise<User | null> {
    const claim = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.userEmails), email);
    return typeof claim?.userId === 'string' ? this.get(orgId, claim.userId) : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<User>> {
    const result = await this.table(orgId).queryPage(tenantPk(orgId, TENANT_COLLECTIONS.users), page);
    return { items: result.items.map((i) => UserSchema.parse(i)), nextCursor: result.nextCursor };
  }

  async setStatus(user: User, expected: User['status'], audit: AuditRecord): Promise<void> {
    await this.updateUser(
      user,
      {
        update: 'SET #status = :status, updatedAt = :at',
        condition: '#status = :expected',
        names: { '#status': 'status' },
        values: { ':status': user.status, ':expected': expected },
      },
      audit,
      `User ${user.id} is not ${expected}`,
    );
  }

  async setRole(user: User, expected: User['role'], audit: AuditRecord): Promise<void> {
    await this.updateUser(
      user,
      {
        update: 'SET #role = :role, updatedAt = :at',
        condition: '#role = :expected',
        names: { '#role': 'role' },
        values: { ':role': user.role, ':expected': expected },
      },
      audit,
      `User ${user.id}'s role is no longer ${expected}`,
    );
  }

  async setTotp(user: User, enabledAt: string | null, audit: AuditRecord): Promise<void> {
    await this.updateUser(
      user,
      enabledAt === null
        ? {
            update: 'SET updatedAt = :at REMOVE totpEnabledAt',
            condition: 'attribute_exists(id)',
            names: {},
            values: {},
          }
        : {
            update: 'SET totpEnabledAt = :enabled, updatedAt = :at',
            condition: 'attribute_exists(id)',
            names: {},
            values: { ':enabled': enabledAt },
          },
      audit,
      `User ${user.id} no longer exists`,
    );
  }

  /** One conditional update of the user's item (stamped `updatedAt`) with its audit record. */
  private async updateUser(
    user: User,
    spec: {
      update: string;
      condition: string;
      names: Record<string, string>;
      values: Record<string, unknown>;
    },
    audit: AuditRecord,
    conflict: string,
  ): Promise<void> {
    const table = this.table(user.orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(tenantPk(user.orgId, TENANT_COLLECTIONS.users), user.id, {
        ...spec,
        values: { ...spec.values, ':at': user.updatedAt ?? new Date().toISOString() },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(conflict);
  }
}
