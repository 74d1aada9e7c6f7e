import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import type { Connection, WebhookRoute } from '../../connectors/connection';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { ConnectionStore, QuotaClaim } from '../../ports/stores';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota } from './usage-items';

export class DynamoDbConnectionStore implements ConnectionStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  async create(
    connection: Connection,
    encryptedSecret: string,
    audit: AuditRecord,
    quota: QuotaClaim,
  ): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, connection.orgId);
    const route: WebhookRoute = {
      orgId: connection.orgId,
      connectionId: connection.id,
      provider: connection.provider,
      status: connection.status,
      encryptedSecret,
    };
    const failed = await transactWrite(this.client, [
      table.putItem({
        PK: tenantPk(connection.orgId, TENANT_COLLECTIONS.connections),
        SK: connection.id,
        ...connection,
      }),
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: platformPk('WEBHOOK', connection.id), SK: 'ROUTE', route },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(2)) throw new QuotaExceededError(`The plan allows ${quota.limit} connections`);
    if (failed.length > 0) throw new ConflictError(`Connection ${connection.id} already exists`);
  }

  async findWebhookRoute(connectionId: string): Promise<WebhookRoute | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: platformPk('WEBHOOK', connectionId), SK: 'ROUTE' },
      }),
    );
    return (out.Item?.route as WebhookRoute | undefined) ?? null;
  }
}
