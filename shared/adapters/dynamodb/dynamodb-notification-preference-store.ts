import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError } from '../../errors';
import type { NotificationPreferenceStore, StoredPreferences } from '../../notify/email/ports';
import type { NotificationPreferences } from '../../notify/email/preferences';
import { NotificationPreferencesInput } from '../../notify/email/preferences';
import type { Versioned } from '../../ports/stores';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

/** Users' notification preferences under the org's partition, one item per user, versioned. */
export class DynamoDbNotificationPreferenceStore implements NotificationPreferenceStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.notificationPreferences);
  }

  async get(
    orgId: string,
    userId: string,
  ): Promise<Versioned<StoredPreferences & { updatedAt: string }> | null> {
    const item = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).get(
      this.pk(orgId),
      userId,
      { consistent: true },
    );
    if (!item) return null;
    return {
      value: {
        ...parsed(item),
        ...(item.emailOffByUser === true ? { emailOffByUser: true } : {}),
        updatedAt: String(item.updatedAt),
      },
      version: Number(item.version),
    };
  }

  async getMany(orgId: string, userIds: readonly string[]): Promise<Map<string, NotificationPreferences>> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    table.check(this.pk(orgId));
    const found = new Map<string, NotificationPreferences>();
    const unique = [...new Set(userIds)];
    // BatchGetItem takes 100 keys; what it leaves unprocessed is asked for again.
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((userId) => ({ PK: this.pk(orgId), SK: userId }));
      for (let round = 0; keys && keys.length > 0 && round < 5; round++) {
        const out = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tables.domainTable]: { Keys: keys } } }),
        );
        for (const item of out.Responses?.[this.tables.domainTable] ?? [])
          found.set(String(item.SK), parsed(item));
        keys = out.UnprocessedKeys?.[this.tables.domainTable]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  async save(
    orgId: string,
    userId: string,
    prefs: StoredPreferences,
    updatedAt: string,
    expectedVersion: number,
    audit: AuditRecord,
  ): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const item = { PK: this.pk(orgId), SK: userId, ...prefs, updatedAt, version: expectedVersion + 1 };
    const failed = await transactWrite(this.client, [
      expectedVersion === 0 ? table.putItem(item) : table.replaceItem(item, expectedVersion),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0)
      throw new ConflictError(`The notification preferences of ${userId} changed meanwhile; read them again`);
  }
}

function parsed(item: Record<string, unknown>): NotificationPreferences {
  return NotificationPreferencesInput.parse({
    mute: item.mute ?? null,
    eventTypes: item.eventTypes,
    channels: item.channels,
    digest: item.digest,
    dailyHourUtc: item.dailyHourUtc,
  });
}
