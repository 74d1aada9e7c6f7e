import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { StoredEndpoint } from '../../notify/webhooks/endpoint';
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

  async save(next: StoredEndpoint, expectedVersion: number, audit?: AuditRecord): Promise<boolean> {
    const table = this.table(next.orgId);
    const failed = await transactWrite(this.client, [
      table.replaceItem(this.item(next), expectedVersion),
      ...(audit ? [auditPut(this.tables.auditTable, audit)] : []),
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
