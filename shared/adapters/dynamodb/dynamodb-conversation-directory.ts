import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ConversationDirectory, StoredConversation } from '../../chat/model';
import type { TablesConfig } from '../../config/config';
import { ValidationError } from '../../errors';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

const MAX_ENTRIES = 20;
const MAX_VALUE = 1000;

/**
 * The conversations chat providers were added to, under the org's partition (`CHATCONV`), keyed
 * `<provider>#<conversation id>`: the last write wins (a reference refreshed on each install).
 */
export class DynamoDbConversationDirectory implements ConversationDirectory {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private key(orgId: string, provider: string, conversationId: string) {
    if (!provider || conversationId.length === 0 || conversationId.length > 1000)
      throw new ValidationError('A conversation id is 1 to 1,000 characters');
    return { PK: tenantPk(orgId, TENANT_COLLECTIONS.chatConversations), SK: `${provider}#${conversationId}` };
  }

  async remember(orgId: string, provider: string, conversation: StoredConversation): Promise<void> {
    const entries = Object.entries(conversation.data);
    if (entries.length > MAX_ENTRIES || entries.some(([k, v]) => k.length > 100 || v.length > MAX_VALUE))
      throw new ValidationError('A stored conversation holds at most 20 short entries');
    const key = this.key(orgId, provider, conversation.id);
    new TenantScopedTable(this.client, this.tables.domainTable, orgId).check(key.PK);
    await this.client.send(
      new PutCommand({
        TableName: this.tables.domainTable,
        Item: {
          ...key,
          provider,
          conversationId: conversation.id,
          installationId: conversation.installationId,
          ...(conversation.name ? { name: conversation.name } : {}),
          data: conversation.data,
          updatedAt: conversation.updatedAt,
        },
      }),
    );
  }

  async recall(orgId: string, provider: string, conversationId: string): Promise<StoredConversation | null> {
    const key = this.key(orgId, provider, conversationId);
    const item = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).get(key.PK, key.SK);
    if (!item) return null;
    return {
      id: String(item.conversationId),
      installationId: String(item.installationId),
      ...(typeof item.name === 'string' ? { name: item.name } : {}),
      data: (item.data ?? {}) as Record<string, string>,
      updatedAt: String(item.updatedAt),
    };
  }

  async forget(orgId: string, provider: string, conversationId: string): Promise<void> {
    const key = this.key(orgId, provider, conversationId);
    new TenantScopedTable(this.client, this.tables.domainTable, orgId).check(key.PK);
    await this.client.send(new DeleteCommand({ TableName: this.tables.domainTable, Key: key }));
  }

  async forgetInstallation(orgId: string, provider: string, installationId: string): Promise<number> {
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.chatConversations);
    new TenantScopedTable(this.client, this.tables.domainTable, orgId).check(pk);
    let forgotten = 0;
    let start: Record<string, unknown> | undefined;
    do {
      // The org's conversations of the provider (a Query of its partition), those of the installation kept.
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.domainTable,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :provider)',
          FilterExpression: 'installationId = :installation',
          ExpressionAttributeValues: {
            ':pk': pk,
            ':provider': `${provider}#`,
            ':installation': installationId,
          },
          ProjectionExpression: 'PK, SK',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        await this.client.send(
          new DeleteCommand({ TableName: this.tables.domainTable, Key: { PK: item.PK, SK: item.SK } }),
        );
        forgotten += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return forgotten;
  }
}
