import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import { auditBySystem } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError, QuotaExceededError, ValidationError } from '../../errors';
import type { ApiKey, ApiKeyGrant, PlatformApiKey } from '../../identity/api-key';
import { ApiKeySchema, PlatformApiKeySchema } from '../../identity/api-key';
import { PLATFORM_TRAIL } from '../../identity/platform-keys';
import type { ApiKeyStore, Page, PageRequest, QuotaClaim } from '../../ports/stores';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

export class DynamoDbApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  async create(key: ApiKey, keyHash: string, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, key.orgId);
    const failed = await transactWrite(this.client, [
      // The hash is kept beside the key's metadata so revoking can remove the credential lookup.
      table.putItem({ PK: tenantPk(key.orgId, TENANT_COLLECTIONS.apiKeys), SK: key.id, ...key, keyHash }),
      this.lookupPut(keyHash, this.grantOf(key)),
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(2)) {
      throw new QuotaExceededError(`The plan allows ${quota.limit} API keys; revoke one first`);
    }
    if (failed.length > 0) throw new ConflictError(`API key ${key.id} already exists`);
  }

  async createPlatformKey(keyId: string, name: string, keyHash: string): Promise<void> {
    const at = new Date();
    // Listed like any other platform key, so it can be revoked once its successors exist.
    const key: PlatformApiKey = {
      id: keyId,
      name,
      // Only the hash reaches the store: the bootstrap file holds the key itself.
      display: '(bootstrap key)',
      createdAt: at.toISOString(),
      createdBy: 'bootstrap',
      expiresAt: null,
      status: 'active',
    };
    const audit = auditBySystem({
      action: 'platform_api_key.created',
      actor: 'bootstrap',
      orgId: PLATFORM_TRAIL,
      targets: [{ type: 'platform_api_key', id: keyId }],
      requestId: keyId,
      at,
      after: { name, expiresAt: null },
    });
    await this.issuePlatformKey(key, keyHash, audit);
  }

  async issuePlatformKey(key: PlatformApiKey, keyHash: string, audit: AuditRecord): Promise<void> {
    const failed = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: PLATFORM_KEYS_PK, SK: key.id, ...key, keyHash },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      this.lookupPut(
        keyHash,
        { scope: 'platform', keyId: key.id, name: key.name, expiresAt: key.expiresAt },
        'PLATFORMKEY',
      ),
      platformAuditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Platform API key ${key.id} already exists`);
  }

  async listPlatformKeys(page: PageRequest): Promise<Page<PlatformApiKey>> {
    if (page.cursor !== undefined && !/^key_[0-9A-Z]{26}$/.test(page.cursor)) {
      throw new ValidationError('The cursor is not valid', [
        { path: 'cursor', message: 'not from this list' },
      ]);
    }
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': PLATFORM_KEYS_PK },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: page.cursor === undefined ? undefined : { PK: PLATFORM_KEYS_PK, SK: page.cursor },
      }),
    );
    return {
      // Never the hash: the schema keeps only what a key is listed with.
      items: (out.Items ?? []).map((item) => PlatformApiKeySchema.parse(item)),
      nextCursor: out.LastEvaluatedKey ? String(out.LastEvaluatedKey.SK) : null,
    };
  }

  async revokePlatformKey(keyId: string, revokedAt: string, audit: AuditRecord): Promise<void> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tables.domainTable, Key: { PK: PLATFORM_KEYS_PK, SK: keyId } }),
    );
    const item = out.Item;
    if (item?.status !== 'active' || typeof item.keyHash !== 'string') {
      throw new NotFoundError(`No active platform API key ${keyId}`);
    }
    const failed = await transactWrite(this.client, [
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: PLATFORM_KEYS_PK, SK: keyId },
          UpdateExpression: 'SET #status = :revoked, revokedAt = :at',
          ConditionExpression: 'attribute_exists(PK) AND #status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':active': 'active', ':at': revokedAt },
        },
      },
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('PLATFORMKEY', item.keyHash), SK: 'GRANT' },
        },
      },
      platformAuditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new NotFoundError(`No active platform API key ${keyId}`);
  }

  /**
   * An org key's lookup (`P#APIKEY#…`) grants org scope only; platform scope comes only from a
   * platform key's own lookup (`P#PLATFORMKEY#…`), which no key-issuing function may write — so no
   * bug in them can mint a platform-admin credential. Org keys, the common case, cost one read.
   */
  async findByHash(keyHash: string): Promise<ApiKeyGrant | null> {
    const lookup = async (prefix: 'APIKEY' | 'PLATFORMKEY') =>
      (
        await this.client.send(
          new GetCommand({
            TableName: this.tables.domainTable,
            Key: { PK: platformPk(prefix, keyHash), SK: 'GRANT' },
          }),
        )
      ).Item?.grant as ApiKeyGrant | undefined;
    const org = await lookup('APIKEY');
    if (org) return org.scope === 'org' ? org : null;
    const platform = await lookup('PLATFORMKEY');
    return platform?.scope === 'platform' ? platform : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<ApiKey>> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const result = await table.queryPage(tenantPk(orgId, TENANT_COLLECTIONS.apiKeys), page);
    return { items: result.items.map((item) => ApiKeySchema.parse(item)), nextCursor: result.nextCursor };
  }

  async get(orgId: string, keyId: string): Promise<ApiKey | null> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const item = await table.get(tenantPk(orgId, TENANT_COLLECTIONS.apiKeys), keyId);
    return item ? ApiKeySchema.parse(item) : null;
  }

  async revoke(orgId: string, keyId: string, revokedAt: string, audit: AuditRecord): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.apiKeys);
    const item = await activeKey(table, pk, keyId);
    const writes = [
      table.updateItem(pk, keyId, {
        update: 'SET #status = :revoked, revokedAt = :at',
        condition: 'attribute_exists(PK) AND (attribute_not_exists(#status) OR #status = :active)',
        names: { '#status': 'status' },
        values: { ':revoked': 'revoked', ':active': 'active', ':at': revokedAt },
      }),
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('APIKEY', item.keyHash), SK: 'GRANT' },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ];
    // The key gives its place in the plan's limit back; a rotated-out key's place passed to its
    // successor, and the status condition above makes a second revoke give back nothing.
    const release = item.rotated ? [] : [releaseQuota(table, 'apiKeys')];
    let failed = await transactWrite(this.client, [...writes, ...release]);
    // A count already at zero (a key issued before keys were counted) must never block a revocation.
    if (release.length > 0 && failed.length === 1 && failed[0] === writes.length) {
      failed = await transactWrite(this.client, writes);
    }
    if (failed.length > 0) throw new NotFoundError(`No active API key ${keyId}`);
  }

  async rotate(
    orgId: string,
    oldKeyId: string,
    next: ApiKey,
    nextHash: string,
    oldExpiresAt: string,
    audit: AuditRecord,
  ): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.apiKeys);
    const old = await activeKey(table, pk, oldKeyId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: pk, SK: next.id, ...next, keyHash: nextHash }),
      this.lookupPut(nextHash, this.grantOf(next)),
      // The old key keeps working until the overlap ends, then its expiry refuses it.
      table.updateItem(pk, oldKeyId, {
        update: 'SET expiresAt = :expires, rotatedTo = :next',
        condition: 'attribute_exists(PK) AND attribute_not_exists(rotatedTo) AND #status = :active',
        names: { '#status': 'status' },
        values: { ':expires': oldExpiresAt, ':next': next.id, ':active': 'active' },
      }),
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('APIKEY', old.keyHash), SK: 'GRANT' },
          UpdateExpression: 'SET #grant.expiresAt = :expires',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#grant': 'grant' },
          ExpressionAttributeValues: { ':expires': oldExpiresAt },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(2)) throw new ConflictError(`API key ${oldKeyId} was already rotated`);
    if (failed.length > 0) throw new NotFoundError(`No active API key ${oldKeyId}`);
  }

  /** Notes when and from where a key was last used; callers throttle this, it is not per request. */
  async recordUse(orgId: string, keyId: string, at: string, ip: string): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const update = table.updateItem(tenantPk(orgId, TENANT_COLLECTIONS.apiKeys), keyId, {
      update: 'SET lastUsedAt = :at, lastUsedIp = :ip',
      condition: 'attribute_exists(PK)',
      names: {},
      values: { ':at': at, ':ip': ip },
    }).Update;
    await this.client.send(new UpdateCommand(update as ConstructorParameters<typeof UpdateCommand>[0]));
  }

  private grantOf(key: ApiKey): ApiKeyGrant {
    return {
      scope: 'org',
      keyId: key.id,
      name: key.name,
      orgId: key.orgId,
      role: key.role,
      expiresAt: key.expiresAt,
      ownerUserId: key.ownerUserId,
    };
  }

  private lookupPut(keyHash: string, grant: ApiKeyGrant, prefix: 'APIKEY' | 'PLATFORMKEY' = 'APIKEY') {
    return {
      Put: {
        TableName: this.tables.domainTable,
        Item: { PK: platformPk(prefix, keyHash), SK: 'GRANT', grant },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
  }
}

/** Platform-admin keys, listed newest first; their hash lookups are `P#PLATFORMKEY#<hash>`, apart from org keys'. */
const PLATFORM_KEYS_PK = platformPk('PLATFORMKEY', 'all');

/** The platform's own trail (what platform admins did outside any org), in the audit table. */
export const PLATFORM_AUDIT_PK = platformPk('AUDIT', PLATFORM_TRAIL);

/** An audit record of the platform trail, for the same transaction as the change it records. */
export function platformAuditPut(auditTable: string, record: AuditRecord) {
  const put = auditPut(auditTable, { ...record, orgId: PLATFORM_TRAIL }).Put as {
    TableName: string;
    Item: Record<string, unknown>;
    ConditionExpression: string;
  };
  return { Put: { ...put, Item: { ...put.Item, PK: PLATFORM_AUDIT_PK } } };
}

/** A key's stored item, with the hash that finds its credential lookup; NotFoundError unless active. */
async function activeKey(table: TenantScopedTable, pk: string, keyId: string) {
  const item = await table.get(pk, keyId);
  if (!item || item.status === 'revoked' || typeof item.keyHash !== 'string') {
    throw new NotFoundError(`No active API key ${keyId}`);
  }
  return { ...item, keyHash: item.keyHash, rotated: typeof item.rotatedTo === 'string' };
}
