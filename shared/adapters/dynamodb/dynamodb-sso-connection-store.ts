import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError } from '../../errors';
import type { Page, PageRequest } from '../../ports/stores';
import type { SsoConnection, SsoConnectionStore } from '../../sso/connections';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const POINTER_SK = 'ORG';

type Item = Record<string, unknown>;

const connectionOf = (item: Item): SsoConnection => {
  const { PK: _pk, SK: _sk, ...rest } = item;
  return rest as unknown as SsoConnection;
};

/**
 * An org's SSO connections under its partition, with a count item that bounds them, and per
 * connection a platform pointer to its org: a SAML IdP posts to a URL that names the connection alone.
 */
export class DynamoDbSsoConnectionStore implements SsoConnectionStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.ssoConnections);
  }
  private pointer(id: string) {
    return { PK: platformPk('SSOCONN', id), SK: POINTER_SK };
  }

  async create(connection: SsoConnection, audit: AuditRecord, limit: number): Promise<void> {
    const table = this.table(connection.orgId);
    const pk = this.pk(connection.orgId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: pk, SK: connection.id, ...connection }),
      table.countItem(pk, 1, limit),
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { ...this.pointer(connection.id), orgId: connection.orgId },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(1))
      throw new ConflictError(`An org has at most ${limit} SSO connections; delete one first`);
    if (failed.length > 0) throw new ConflictError(`SSO connection ${connection.id} exists already`);
  }

  async get(orgId: string, id: string): Promise<SsoConnection | null> {
    const item = await this.table(orgId).get(this.pk(orgId), id, { consistent: true });
    return item ? connectionOf(item) : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<SsoConnection>> {
    // Connection ids begin `sso_`: the count item (`#count`) is outside the range.
    const out = await this.table(orgId).queryPage(this.pk(orgId), page, { skBetween: ['sso_', 'sso_~'] });
    return { items: out.items.map(connectionOf), nextCursor: out.nextCursor };
  }

  async replace(connection: SsoConnection, expectedUpdatedAt: string, audit: AuditRecord): Promise<void> {
    const table = this.table(connection.orgId);
    table.check(this.pk(connection.orgId));
    const failed = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: this.pk(connection.orgId), SK: connection.id, ...connection },
          ConditionExpression: 'updatedAt = :expected',
          ExpressionAttributeValues: { ':expected': expectedUpdatedAt },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0))
      throw new ConflictError('The SSO connection changed or went meanwhile; read it again and retry');
    if (failed.length > 0) throw new Error('The SSO connection could not be saved');
  }

  async remove(orgId: string, id: string, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: id },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      table.countItem(pk, -1),
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: this.pointer(id),
          ConditionExpression: 'attribute_not_exists(PK) OR orgId = :org',
          ExpressionAttributeValues: { ':org': orgId },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new NotFoundError(`No SSO connection ${id}`);
    if (failed.length > 0) throw new Error('The SSO connection could not be deleted');
  }

  async orgOf(id: string): Promise<string | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tables.domainTable, Key: this.pointer(id) }),
    );
    return typeof out.Item?.orgId === 'string' ? out.Item.orgId : null;
  }
}
