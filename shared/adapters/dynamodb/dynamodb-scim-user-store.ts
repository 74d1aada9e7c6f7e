import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError, QuotaExceededError, UniquenessError } from '../../errors';
import type { QuotaClaim, ScimUserStore } from '../../ports/stores';
import type { ScimUserProfile } from '../../scim/user-resource';
import type { User } from '../../tenancy/user';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota } from './usage-items';

const PAGE = 100;
const nameKey = (userName: string) => userName.toLowerCase();

/**
 * SCIM profiles under `T#<org>#SCIMUSER` (by hub user id) and their userNames' claims under
 * `T#<org>#SCIMUSERNAME` (by lower-case userName); the hub users themselves are the user store's items.
 */
export class DynamoDbScimUserStore implements ScimUserStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private profilePk = (orgId: string) => tenantPk(orgId, TENANT_COLLECTIONS.scimUsers);
  private namePk = (orgId: string) => tenantPk(orgId, TENANT_COLLECTIONS.scimUserNames);

  private profilePut(table: TenantScopedTable, profile: ScimUserProfile): TransactItem {
    return table.putItem({ PK: this.profilePk(profile.orgId), SK: profile.userId, ...profile });
  }
  private claimPut(table: TenantScopedTable, profile: ScimUserProfile): TransactItem {
    return table.putItem({
      PK: this.namePk(profile.orgId),
      SK: nameKey(profile.profile.userName),
      userId: profile.userId,
    });
  }
  private claimDelete(table: TenantScopedTable, profile: ScimUserProfile): TransactItem {
    const pk = this.namePk(profile.orgId);
    table.check(pk);
    return {
      Delete: {
        TableName: this.tables.domainTable,
        Key: { PK: pk, SK: nameKey(profile.profile.userName) },
        ConditionExpression: 'userId = :user',
        ExpressionAttributeValues: { ':user': profile.userId },
      },
    };
  }

  async create(user: User, profile: ScimUserProfile, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(user.orgId);
    const failed = await transactWrite(this.client, [
      this.claimPut(table, profile),
      table.putItem({ PK: tenantPk(user.orgId, TENANT_COLLECTIONS.users), SK: user.id, ...user }),
      table.putItem({
        PK: tenantPk(user.orgId, TENANT_COLLECTIONS.userEmails),
        SK: user.email,
        userId: user.id,
      }),
      this.profilePut(table, profile),
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new UniquenessError(`The userName is already provisioned`);
    if (failed.includes(2)) {
      throw new UniquenessError(`${user.email} is already a user of this organisation`);
    }
    if (failed.includes(4)) throw new QuotaExceededError(`The plan allows ${quota.limit} users`);
    if (failed.length > 0) throw new ConflictError(`User ${user.id} already exists`);
  }

  async adopt(user: User, profile: ScimUserProfile, audit: AuditRecord): Promise<void> {
    const table = this.table(user.orgId);
    const failed = await transactWrite(this.client, [
      this.claimPut(table, profile),
      this.profilePut(table, profile),
      table.updateItem(tenantPk(user.orgId, TENANT_COLLECTIONS.users), user.id, {
        update: 'SET #status = :status, updatedAt = :at',
        condition: 'attribute_exists(PK)',
        names: { '#status': 'status' },
        values: { ':status': user.status, ':at': profile.updatedAt },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new UniquenessError(`The userName is already provisioned`);
    if (failed.includes(1)) throw new UniquenessError(`${user.email} is already provisioned`);
    if (failed.length > 0) throw new NotFoundError(`No user ${user.id}`);
  }

  async get(orgId: string, userId: string): Promise<ScimUserProfile | null> {
    const item = await this.table(orgId).get(this.profilePk(orgId), userId, { consistent: true });
    return item ? profileOf(item) : null;
  }

  async userIdByUserName(orgId: string, userName: string): Promise<string | null> {
    const item = await this.table(orgId).get(this.namePk(orgId), nameKey(userName), { consistent: true });
    return typeof item?.userId === 'string' ? item.userId : null;
  }

  async all(orgId: string): Promise<ScimUserProfile[]> {
    const table = this.table(orgId);
    const out: ScimUserProfile[] = [];
    let cursor: string | undefined;
    do {
      const page = await table.queryPage(this.profilePk(orgId), { limit: PAGE, cursor });
      out.push(...page.items.map(profileOf));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    // Newest first from the query; SCIM pages are steadier oldest first (user ids are ULIDs).
    return out.sort((a, b) => (a.userId < b.userId ? -1 : 1));
  }

  async replace(
    next: ScimUserProfile,
    previous: ScimUserProfile,
    user: { readonly user: User; readonly previous: User } | null,
    audit: AuditRecord,
  ): Promise<void> {
    const table = this.table(next.orgId);
    const pk = this.profilePk(next.orgId);
    const renamed = nameKey(next.profile.userName) !== nameKey(previous.profile.userName);
    const readdressed = user !== null && user.user.email !== user.previous.email;
    const emailPk = tenantPk(next.orgId, TENANT_COLLECTIONS.userEmails);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: pk, SK: next.userId, ...next },
          ConditionExpression: 'updatedAt = :seen',
          ExpressionAttributeValues: { ':seen': previous.updatedAt },
        },
      },
    ];
    const nameClaim = renamed
      ? items.push(this.claimPut(table, next), this.claimDelete(table, previous)) - 2
      : -1;
    let emailClaim = -1;
    if (user) {
      items.push(
        table.updateItem(tenantPk(next.orgId, TENANT_COLLECTIONS.users), next.userId, {
          // A new address is another pool user: the authenticator app enrolled at the old one is
          // not this one's, so no token of the new address may claim it.
          update: `SET #status = :status, email = :email, #name = :name, updatedAt = :at${readdressed ? ' REMOVE totpEnabledAt' : ''}`,
          condition: '#status = :expected AND email = :expectedEmail',
          names: { '#status': 'status', '#name': 'name' },
          values: {
            ':status': user.user.status,
            ':email': user.user.email,
            ':name': user.user.name,
            ':expected': user.previous.status,
            ':expectedEmail': user.previous.email,
            ':at': next.updatedAt,
          },
        }),
      );
      if (readdressed) {
        emailClaim = items.length;
        items.push(table.putItem({ PK: emailPk, SK: user.user.email, userId: next.userId }), {
          Delete: {
            TableName: this.tables.domainTable,
            Key: { PK: emailPk, SK: user.previous.email },
            ConditionExpression: 'userId = :user',
            ExpressionAttributeValues: { ':user': next.userId },
          },
        });
      }
    }
    items.push(auditPut(this.tables.auditTable, audit));
    table.check(pk);
    const failed = await transactWrite(this.client, items);
    if (nameClaim >= 0 && failed.includes(nameClaim)) {
      throw new UniquenessError('The userName is already provisioned');
    }
    if (emailClaim >= 0 && failed.includes(emailClaim)) {
      throw new UniquenessError(`${user?.user.email} is already a user of this organisation`);
    }
    if (failed.length > 0) throw new ConflictError(`User ${next.userId} changed meanwhile; read it again`);
  }

  async remove(profile: ScimUserProfile, deactivate: User | null, audit: AuditRecord): Promise<void> {
    const table = this.table(profile.orgId);
    const pk = this.profilePk(profile.orgId);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: profile.userId },
          ConditionExpression: 'updatedAt = :seen',
          ExpressionAttributeValues: { ':seen': profile.updatedAt },
        },
      },
      this.claimDelete(table, profile),
      ...(deactivate
        ? [
            table.updateItem(tenantPk(profile.orgId, TENANT_COLLECTIONS.users), profile.userId, {
              update: 'SET #status = :status, updatedAt = :at',
              condition: '#status = :active',
              names: { '#status': 'status' },
              values: { ':status': 'deactivated', ':active': 'active', ':at': deactivate.updatedAt },
            }),
          ]
        : []),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`User ${profile.userId} changed meanwhile; read it again`);
  }
}

function profileOf(item: Record<string, unknown>): ScimUserProfile {
  return {
    userId: String(item.userId),
    orgId: String(item.orgId),
    profile: item.profile as ScimUserProfile['profile'],
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}
