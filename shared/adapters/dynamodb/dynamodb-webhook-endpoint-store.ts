import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { StoredEndpoint } from '../../notify/webhooks/endpoint';
import { HEALTH_RESET, SETTINGS } from '../../notify/webhooks/endpoint';
import type { WebhookEndpointStore } from '../../notify/webhooks/endpoint-store';
import type { QuotaClaim } from '../../ports/stores';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

const strip = ({ PK: _pk, SK: _sk, ...rest }: Record<string, unknown>) => rest as unknown as StoredEndpoint;

/** An org's outbound webhook endpoints, one item each under the org's partition, secrets encrypted. */
export class DynamoDbWebhookEndpointStore implements WebhookEndpointStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.webhookEndpoints);
  }

  private item(endpoint: StoredEndpoint) {
    return { PK: this.pk(endpoint.orgId), SK: endpoint.id, ...endpoint };
  }

  async create(endpoint: StoredEndpoint, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(endpoint.orgId);
    const failed = await transactWrite(this.client, [
      claimQuota(table, quota),
      table.putItem(this.item(endpoint)),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0))
      throw new QuotaExceededError(`The plan allows ${quota.limit} webhook endpoints; delete one first`);
    if (failed.length > 0) throw new ConflictError(`Endpoint ${endpoint.id} already exists`);
  }

  async get(orgId: string, endpointId: string): Promise<StoredEndpoint | null> {
    const item = await this.table(orgId).get(this.pk(orgId), endpointId, { consistent: true });
    return item ? strip(item) : null;
  }

  async list(orgId: string): Promise<StoredEndpoint[]> {
    const pk = this.pk(orgId);
    this.table(orgId).check(pk);
    const items: StoredEndpoint[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tables.domainTable,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) items.push(strip(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async saveSettings(
    next: StoredEndpoint,
    expectedVersion: number,
    audit: AuditRecord,
    options: { resetHealth?: boolean } = {},
  ): Promise<boolean> {
    const table = this.table(next.orgId);
    // Only the settings: a success or failure the worker records meanwhile is not written over.
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion };
    const sets: string[] = [];
    const removes: string[] = [];
    SETTINGS.forEach((attribute, i) => {
      names[`#s${i}`] = attribute;
      const value = next[attribute];
      if (value === undefined) removes.push(`#s${i}`);
      else {
        sets.push(`#s${i} = :s${i}`);
        values[`:s${i}`] = value;
      }
    });
    if (options.resetHealth)
      HEALTH_RESET.forEach((attribute, i) => {
        names[`#h${i}`] = attribute;
        removes.push(`#h${i}`);
      });
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(next.orgId), next.id, {
        update: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        condition: 'attribute_exists(PK) AND #version = :expected',
        names,
        values,
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0;
  }

  async disable(
    orgId: string,
    endpointId: string,
    reason: string,
    at: Date,
    audit: AuditRecord,
  ): Promise<boolean> {
    const table = this.table(orgId);
    // `enabled` is a setting a person sees: the version moves, so a settings change read before fails.
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(orgId), endpointId, {
        update: 'SET enabled = :false, disabledReason = :reason, updatedAt = :at ADD #version :one',
        condition: 'attribute_exists(PK) AND enabled = :true',
        names: { '#version': 'version' },
        values: { ':false': false, ':true': true, ':reason': reason, ':at': at.toISOString(), ':one': 1 },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0;
  }

  async markWarned(
    orgId: string,
    endpointId: string,
    failingSince: string,
    at: Date,
    audit: AuditRecord,
  ): Promise<boolean> {
    const table = this.table(orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(orgId), endpointId, {
        update: 'SET warnedAt = :at',
        condition: 'failingSince = :since AND attribute_not_exists(warnedAt)',
        names: {},
        values: { ':at': at.toISOString(), ':since': failingSince },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0;
  }

  async delete(orgId: string, endpointId: string, audit: AuditRecord): Promise<boolean> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      releaseQuota(table, 'webhookEndpoints'),
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: endpointId },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0;
  }

  async markSucceeded(orgId: string, endpointId: string, at: Date): Promise<void> {
    const pk = this.pk(orgId);
    this.table(orgId).check(pk);
    // Only the first success after failing, or one a minute: a busy endpoint costs no write per delivery.
    await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: endpointId },
          UpdateExpression: 'SET lastSuccessAt = :at REMOVE failingSince, warnedAt',
          ConditionExpression:
            'attribute_exists(PK) AND (attribute_exists(failingSince) OR attribute_not_exists(lastSuccessAt) OR lastSuccessAt < :minuteAgo)',
          ExpressionAttributeValues: {
            ':at': at.toISOString(),
            ':minuteAgo': new Date(at.getTime() - 60_000).toISOString(),
          },
        }),
      ),
    );
  }

  async markFailing(orgId: string, endpointId: string, at: Date): Promise<boolean> {
    const pk = this.pk(orgId);
    this.table(orgId).check(pk);
    const out = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: endpointId },
          UpdateExpression: 'SET failingSince = :at',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(failingSince)',
          ExpressionAttributeValues: { ':at': at.toISOString() },
        }),
      ),
    );
    return out !== undefined;
  }
}
