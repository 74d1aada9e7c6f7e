import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import type { Connection, WebhookRoute } from '../../connectors/connection';
import { ConnectionSchema } from '../../connectors/connection';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { ConnectionStore, Page, PageRequest, QuotaClaim } from '../../ports/stores';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

const withoutHubActor = ({ hubActor: _hubActor, ...route }: WebhookRoute): WebhookRoute => route;

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

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.connections);
  }

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  async get(orgId: string, connectionId: string): Promise<Connection | null> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const item = await table.get(this.pk(orgId), connectionId);
    return item ? ConnectionSchema.parse(item) : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<Connection>> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const result = await table.queryPage(this.pk(orgId), page);
    return { items: result.items.map((i) => ConnectionSchema.parse(i)), nextCursor: result.nextCursor };
  }

  async save(
    next: Connection,
    previous: Connection,
    route: WebhookRoute,
    audit: AuditRecord,
    options: { clearCredentials?: boolean } = {},
  ): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, next.orgId);
    const pk = this.pk(next.orgId);
    table.check(pk);
    const fields = Object.keys(next).filter((f) => f !== 'id' && f !== 'orgId' && f !== 'createdAt');
    const failed = await transactWrite(this.client, [
      // An update, not a replacement: the encrypted credentials on the item are kept, unless cleared.
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: next.id },
          UpdateExpression: `SET ${fields.map((_, n) => `#f${n} = :f${n}`).join(', ')}${options.clearCredentials ? ' REMOVE encryptedCredentials' : ''}`,
          // Optimistic: only if nobody changed the connection since it was read.
          ConditionExpression:
            'attribute_exists(PK) AND #status = :was AND (attribute_not_exists(updatedAt) OR updatedAt = :updated)',
          ExpressionAttributeNames: {
            ...Object.fromEntries(fields.map((f, n) => [`#f${n}`, f])),
            '#status': 'status',
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(fields.map((f, n) => [`:f${n}`, (next as Record<string, unknown>)[f]])),
            ':was': previous.status,
            ':updated': previous.updatedAt ?? '',
          },
        },
      },
      {
        Put: {
          TableName: this.tables.domainTable,
          // A new route drops the hub's recorded identity: it is learnt again with what the route now says.
          Item: { PK: platformPk('WEBHOOK', next.id), SK: 'ROUTE', route: withoutHubActor(route) },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Connection ${next.id} changed meanwhile; read it again`);
  }

  async setCredentials(next: Connection, encryptedCredentials: string, audit: AuditRecord): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, next.orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(next.orgId), next.id, {
        update: 'SET credentials = :credentials, encryptedCredentials = :encrypted, updatedAt = :at',
        condition: 'attribute_exists(PK)',
        names: {},
        values: {
          ':credentials': next.credentials,
          ':encrypted': encryptedCredentials,
          ':at': next.updatedAt ?? new Date().toISOString(),
        },
      }),
      // Other credentials may act as someone else: the hub's recorded identity goes with the old ones.
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('WEBHOOK', next.id), SK: 'ROUTE' },
          UpdateExpression: 'REMOVE hubActor',
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Connection ${next.id} was removed meanwhile`);
  }

  async recordHubActor(
    orgId: string,
    connectionId: string,
    actor: string,
    encryptedCredentials: string,
  ): Promise<boolean> {
    const pk = this.pk(orgId);
    this.table(orgId).check(pk);
    const failed = await transactWrite(this.client, [
      // Only for the credentials it was learnt with: set anew or cleared meanwhile, nothing is recorded.
      {
        ConditionCheck: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: connectionId },
          ConditionExpression: 'encryptedCredentials = :encrypted',
          ExpressionAttributeValues: { ':encrypted': encryptedCredentials },
        },
      },
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('WEBHOOK', connectionId), SK: 'ROUTE' },
          UpdateExpression: 'SET hubActor = :actor',
          ConditionExpression: 'attribute_exists(PK) AND #route.orgId = :org',
          ExpressionAttributeNames: { '#route': 'route' },
          ExpressionAttributeValues: { ':actor': actor, ':org': orgId },
        },
      },
    ]);
    return failed.length === 0;
  }

  async encryptedCredentials(orgId: string, connectionId: string): Promise<string | null> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const item = await table.get(this.pk(orgId), connectionId);
    return typeof item?.encryptedCredentials === 'string' ? item.encryptedCredentials : null;
  }

  async withCredentials(
    orgId: string,
    connectionId: string,
  ): Promise<{ connection: Connection; encryptedCredentials: string | null } | null> {
    // One item holds both, and a change of server removes the credentials in the same write.
    const item = await this.table(orgId).get(this.pk(orgId), connectionId, { consistent: true });
    if (!item) return null;
    return {
      connection: ConnectionSchema.parse(item),
      encryptedCredentials: typeof item.encryptedCredentials === 'string' ? item.encryptedCredentials : null,
    };
  }

  async replaceEncryptedCredentials(
    orgId: string,
    connectionId: string,
    encrypted: string,
    expected?: string,
  ): Promise<void> {
    const pk = this.pk(orgId);
    this.table(orgId).check(pk);
    const written = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: connectionId },
          UpdateExpression: 'SET encryptedCredentials = :encrypted',
          // Only over the credentials the new ones were derived from: cleared or set anew meanwhile, they stay so.
          ConditionExpression:
            expected === undefined ? 'attribute_exists(PK)' : 'encryptedCredentials = :expected',
          ExpressionAttributeValues: {
            ':encrypted': encrypted,
            ...(expected === undefined ? {} : { ':expected': expected }),
          },
        }),
      ),
    );
    if (!written) throw new ConflictError(`The credentials of connection ${connectionId} changed meanwhile`);
  }

  async remove(connection: Connection, audit: AuditRecord): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, connection.orgId);
    const pk = this.pk(connection.orgId);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: connection.id },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('WEBHOOK', connection.id), SK: 'ROUTE' },
        },
      },
      releaseQuota(table, 'connections'),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Connection ${connection.id} was already removed`);
  }

  async findWebhookRoute(connectionId: string): Promise<WebhookRoute | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: platformPk('WEBHOOK', connectionId), SK: 'ROUTE' },
      }),
    );
    const route = out.Item?.route as WebhookRoute | undefined;
    if (!route) return null;
    // Beside the route, not in it: every save of the route (a new status, base URL or secret) drops it.
    return typeof out.Item?.hubActor === 'string' ? { ...route, hubActor: out.Item.hubActor } : route;
  }
}
