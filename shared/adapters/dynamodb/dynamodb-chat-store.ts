import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { BindCodeStore, StoredBindCode } from '../../chat/bind-codes';
import type { InstallationDirectory } from '../../chat/model';
import type {
  ChatAppStore,
  IdentityLink,
  IdentityLinkPut,
  IdentityLinkStore,
  StoredChatApp,
  UsedTokens,
} from '../../chat/ports';
import type { TablesConfig } from '../../config/config';
import { platformPointers } from '../../topology/access';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { platformAuditPut } from './dynamodb-api-key-store';
import { epochSeconds, platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

/** The tenant collection of identity links (platform user → hub user). */
const IDENTITY_LINKS = TENANT_COLLECTIONS.chatIdentities;

/**
 * Which org and connection each platform installation (a Slack team, a Teams tenant) is bound to:
 * platform items (`chatInstallations`), one per (provider, installation), bound by a conditional put
 * so an installation belongs to exactly one org.
 */
export class DynamoDbInstallationDirectory implements InstallationDirectory {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private key(provider: string, installationId: string) {
    return { PK: platformPk('CHATINST', `${provider}#${installationId}`), SK: 'INSTALLATION' };
  }

  async bind(
    provider: string,
    installationId: string,
    orgId: string,
    connectionId: string,
  ): Promise<'bound' | 'taken'> {
    const put = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.domainTable,
          Item: { ...this.key(provider, installationId), provider, installationId, orgId, connectionId },
          // Binding the same org and connection again is no change; any other binding is refused.
          ConditionExpression: 'attribute_not_exists(PK) OR (orgId = :org AND connectionId = :con)',
          ExpressionAttributeValues: { ':org': orgId, ':con': connectionId },
        }),
      ),
    );
    return put ? 'bound' : 'taken';
  }

  async find(
    provider: string,
    installationId: string,
  ): Promise<{ orgId: string; connectionId: string } | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.domainTable,
        Key: this.key(provider, installationId),
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    return item ? { orgId: String(item.orgId), connectionId: String(item.connectionId) } : null;
  }

  async unbind(provider: string, installationId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.domainTable, Key: this.key(provider, installationId) }),
    );
  }
}

/** The deployment's chat app settings, one platform item per provider (`chatApps`), encrypted. */
export class DynamoDbChatAppStore implements ChatAppStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private key(provider: string) {
    return { PK: platformPk('CHATAPP', provider), SK: 'SETTINGS' };
  }

  async get(provider: string): Promise<StoredChatApp | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tables.domainTable, Key: this.key(provider) }),
    );
    const item = out.Item;
    if (!item || typeof item.encrypted !== 'string') return null;
    return {
      provider,
      encrypted: item.encrypted,
      summary: (item.summary ?? {}) as Record<string, string>,
      updatedAt: String(item.updatedAt),
    };
  }

  async put(
    app: StoredChatApp,
    audit: AuditRecord | null,
    options: { onlyIfAbsent?: boolean } = {},
  ): Promise<boolean> {
    const failed = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { ...this.key(app.provider), ...app },
          ...(options.onlyIfAbsent ? { ConditionExpression: 'attribute_not_exists(PK)' } : {}),
        },
      },
      ...(audit ? [platformAuditPut(this.tables.auditTable, audit)] : []),
    ]);
    return failed.length === 0;
  }
}

/** The nonces of used chat link tokens (`chatLinkNonces`), kept until the token would have expired. */
export class DynamoDbUsedTokens implements UsedTokens {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async claim(nonce: string, expiresAt: Date): Promise<boolean> {
    const put = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.domainTable,
          Item: { PK: platformPk('CHATLINK', nonce), SK: 'USED', expiresAt: epochSeconds(expiresAt) },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
    return put !== undefined;
  }
}

/**
 * One-time bind codes (`chatBindCodes`), platform items by the code's hash (the platform sends the
 * code alone, before any org is known): written with their audit record, claimed once by a
 * conditional update, gone by TTL after they expire (and refused on claim before the TTL sweeps).
 */
export class DynamoDbBindCodeStore implements BindCodeStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private key(hash: string) {
    return { PK: platformPk(platformPointers.chatBindCodes, hash), SK: 'CODE' };
  }

  async put(hash: string, code: StoredBindCode, audit: AuditRecord): Promise<void> {
    await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: {
            ...this.key(hash),
            provider: code.provider,
            orgId: code.orgId,
            connectionId: code.connectionId,
            installationId: code.installationId,
            validUntil: code.expiresAt.toISOString(),
            expiresAt: epochSeconds(code.expiresAt),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
  }

  async claim(hash: string, at: Date): Promise<StoredBindCode | null> {
    const out = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: this.key(hash),
          UpdateExpression: 'SET usedAt = :at',
          // Unknown, used, or past its time (the TTL sweep lags by up to days): nothing is claimed.
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(usedAt) AND validUntil > :at',
          ExpressionAttributeValues: { ':at': at.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    const item = out?.Attributes;
    if (!item) return null;
    return {
      provider: String(item.provider),
      orgId: String(item.orgId),
      connectionId: String(item.connectionId),
      installationId: String(item.installationId),
      expiresAt: new Date(String(item.validUntil)),
    };
  }
}

/** Identity links under the org's partition: one item per (provider, platform user). */
/** Sorts apart from `<provider>#<platform user>`: a provider id has no `~`. */
const reverseKey = (provider: string, userId: string) => `~user#${userId}#${provider}`;
/** The hub user's one platform account in a workspace (the connection): the 1:1 rule's other half. */
const workspaceKey = (provider: string, connectionId: string, userId: string) =>
  `~user#${userId}#${provider}#${connectionId}`;

const linkOf = (orgId: string, item: Record<string, unknown>): IdentityLink => ({
  orgId,
  provider: String(item.provider),
  platformUserId: String(item.platformUserId),
  userId: String(item.userId),
  connectionId: String(item.connectionId),
  via: item.via === 'email' ? 'email' : 'link',
  linkedAt: String(item.linkedAt),
});

export class DynamoDbIdentityLinkStore implements IdentityLinkStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  async find(orgId: string, provider: string, platformUserId: string): Promise<IdentityLink | null> {
    const item = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).get(
      tenantPk(orgId, IDENTITY_LINKS),
      `${provider}#${platformUserId}`,
    );
    if (!item || typeof item.userId !== 'string') return null;
    return { ...linkOf(orgId, item), provider, platformUserId };
  }

  /** The platform user a hub user is linked to on `provider`, if any (the latest link). */
  async platformUserOf(orgId: string, provider: string, userId: string): Promise<string | null> {
    const item = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).get(
      tenantPk(orgId, IDENTITY_LINKS),
      reverseKey(provider, userId),
    );
    return typeof item?.platformUserId === 'string' ? item.platformUserId : null;
  }

  async accountIn(
    orgId: string,
    provider: string,
    connectionId: string,
    userId: string,
  ): Promise<string | null> {
    const item = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).get(
      tenantPk(orgId, IDENTITY_LINKS),
      workspaceKey(provider, connectionId, userId),
    );
    return typeof item?.platformUserId === 'string' ? item.platformUserId : null;
  }

  async put(link: IdentityLink, audit: AuditRecord): Promise<IdentityLinkPut> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, link.orgId);
    const pk = tenantPk(link.orgId, IDENTITY_LINKS);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: pk, SK: `${link.provider}#${link.platformUserId}`, ...link },
          // The platform user is one hub user's: linked again only to the same one.
          ConditionExpression: 'attribute_not_exists(PK) OR userId = :user',
          ExpressionAttributeValues: { ':user': link.userId },
        },
      },
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: {
            PK: pk,
            SK: workspaceKey(link.provider, link.connectionId, link.userId),
            platformUserId: link.platformUserId,
            linkedAt: link.linkedAt,
          },
          // And the hub user has one platform account per workspace.
          ConditionExpression: 'attribute_not_exists(PK) OR platformUserId = :platform',
          ExpressionAttributeValues: { ':platform': link.platformUserId },
        },
      },
      // The way back, for a notification to the user's direct messages (`user:<id>` destinations).
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: {
            PK: pk,
            SK: reverseKey(link.provider, link.userId),
            platformUserId: link.platformUserId,
            linkedAt: link.linkedAt,
          },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) return 'platform_user_taken';
    if (failed.includes(1)) return 'user_taken';
    return 'linked';
  }

  async remove(
    orgId: string,
    provider: string,
    platformUserId: string,
    audit: AuditRecord,
  ): Promise<IdentityLink | null> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const pk = tenantPk(orgId, IDENTITY_LINKS);
    const item = await table.get(pk, `${provider}#${platformUserId}`, { consistent: true });
    if (!item || typeof item.userId !== 'string') return null;
    const link = { ...linkOf(orgId, item), provider, platformUserId };
    const back = await table.get(pk, reverseKey(provider, link.userId), { consistent: true });
    const own = (sk: string, condition: string, values: Record<string, unknown>) => ({
      Delete: {
        TableName: this.tables.domainTable,
        Key: { PK: pk, SK: sk },
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      },
    });
    const failed = await transactWrite(this.client, [
      // Only the link as read: one relinked meanwhile is another link, not removed.
      own(`${provider}#${platformUserId}`, 'userId = :user AND linkedAt = :at', {
        ':user': link.userId,
        ':at': link.linkedAt,
      }),
      own(
        workspaceKey(provider, link.connectionId, link.userId),
        'attribute_not_exists(PK) OR platformUserId = :platform',
        { ':platform': platformUserId },
      ),
      // The way back goes only when it leads to this platform user (the latest link).
      ...(back?.platformUserId === platformUserId
        ? [
            own(reverseKey(provider, link.userId), 'platformUserId = :platform', {
              ':platform': platformUserId,
            }),
          ]
        : []),
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0 ? link : null;
  }
}
