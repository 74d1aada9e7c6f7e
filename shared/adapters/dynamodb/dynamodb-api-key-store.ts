import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError } from '../../errors';
import type { ApiKey, ApiKeyGrant } from '../../identity/api-key';
import type { ApiKeyStore } from '../../ports/stores';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

export class DynamoDbApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: TablesConfig,
  ) {}

  async create(key: ApiKey, keyHash: string, audit: AuditRecord | null): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, key.orgId);
    const grant: ApiKeyGrant = {
      scope: 'org',
      keyId: key.id,
      name: key.name,
      orgId: key.orgId,
      role: key.role,
      expiresAt: key.expiresAt,
    };
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: tenantPk(key.orgId, TENANT_COLLECTIONS.apiKeys), SK: key.id, ...key }),
      this.lookupPut(keyHash, grant),
      ...(audit ? [auditPut(this.tables.auditTable, audit)] : []),
    ]);
    if (failed.length > 0) throw new ConflictError(`API key ${key.id} already exists`);
  }

  async createPlatformKey(keyId: string, name: string, keyHash: string): Promise<void> {
    await this.client.send(new PutCommand(this.lookupPut(keyHash, { scope: 'platform', keyId, name }).Put));
  }

  async findByHash(keyHash: string): Promise<ApiKeyGrant | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: platformPk('APIKEY', keyHash), SK: 'GRANT' },
      }),
    );
    return (out.Item?.grant as ApiKeyGrant | undefined) ?? null;
  }

  private lookupPut(keyHash: string, grant: ApiKeyGrant) {
    return {
      Put: {
        TableName: this.tables.domainTable,
        Item: { PK: platformPk('APIKEY', keyHash), SK: 'GRANT', grant },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
  }
}
