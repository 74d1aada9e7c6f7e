import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError } from '../../errors';
import type { ScimToken, ScimTokenGrant } from '../../identity/scim-token';
import { ScimTokenSchema } from '../../identity/scim-token';
import type { Page, PageRequest, ScimTokenStore } from '../../ports/stores';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

/** The count of active tokens sorts before the tokens (`scim_…`). */
const GRANT_SK = 'GRANT';

/** SCIM tokens: metadata (with the hash) under the tenant, the credential lookup under `P#SCIMTOKEN#<hash>`. */
export class DynamoDbScimTokenStore implements ScimTokenStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.scimTokens);
  }

  async create(token: ScimToken, tokenHash: string, audit: AuditRecord, limit: number): Promise<void> {
    const table = this.table(token.orgId);
    const pk = this.pk(token.orgId);
    const grant: ScimTokenGrant = { scope: 'scim', tokenId: token.id, name: token.name, orgId: token.orgId };
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: pk, SK: token.id, ...token, tokenHash }),
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: platformPk('SCIMTOKEN', tokenHash), SK: GRANT_SK, grant },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      table.countItem(pk, 1, limit),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(2)) {
      throw new ConflictError(`An org holds at most ${limit} active SCIM tokens; revoke one first`);
    }
    if (failed.length > 0) throw new ConflictError(`SCIM token ${token.id} already exists`);
  }

  async findByHash(tokenHash: string): Promise<ScimTokenGrant | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: platformPk('SCIMTOKEN', tokenHash), SK: GRANT_SK },
      }),
    );
    const grant = out.Item?.grant as ScimTokenGrant | undefined;
    return grant?.scope === 'scim' ? grant : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<ScimToken>> {
    const out = await this.table(orgId).queryPage(this.pk(orgId), page, { skBetween: ['scim_', 'scim_~'] });
    // Never the hash: the schema keeps only what a token is listed with.
    return { items: out.items.map((item) => ScimTokenSchema.parse(item)), nextCursor: out.nextCursor };
  }

  async revoke(orgId: string, tokenId: string, revokedAt: string, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    const item = await table.get(pk, tokenId, { consistent: true });
    if (item?.status !== 'active' || typeof item.tokenHash !== 'string') {
      throw new NotFoundError(`No active SCIM token ${tokenId}`);
    }
    const writes = [
      table.updateItem(pk, tokenId, {
        update: 'SET #status = :revoked, revokedAt = :at',
        condition: 'attribute_exists(PK) AND #status = :active',
        names: { '#status': 'status' },
        values: { ':revoked': 'revoked', ':active': 'active', ':at': revokedAt },
      }),
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk('SCIMTOKEN', item.tokenHash), SK: GRANT_SK },
        },
      },
      auditPut(this.tables.auditTable, audit),
      table.countItem(pk, -1),
    ];
    const failed = await transactWrite(this.client, writes);
    if (failed.length > 0) throw new NotFoundError(`No active SCIM token ${tokenId}`);
  }
}
