import { BatchWriteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TablesConfig } from '../../config/config';
import type { DigestEntry, DigestStore } from '../../notify/email/ports';
import type { EventSummary } from '../../notify/render/describe-event';
import { ifConditionHolds } from './conditional';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

/** A sending's record outlives any retry of it, then expires. */
const SEND_RECORD_DAYS = 7;

/**
 * Digests under the org's partitions: one item per (user, event) keyed `<userId>#<receivedAt>#<eventId>`
 * so a user's waiting events are one query, oldest first; one item per sending, keyed
 * `<userId>#<dueAt>`, claimed and marked with conditional writes.
 */
export class DynamoDbDigestStore implements DigestStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private entries(orgId: string) {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.digests);
    table.check(pk);
    return pk;
  }

  private sends(orgId: string) {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.digestSends);
    table.check(pk);
    return pk;
  }

  async append(orgId: string, userId: string, summary: EventSummary, expiresAt: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tables.domainTable,
        Item: {
          PK: this.entries(orgId),
          SK: `${userId}#${summary.occurredAt}#${summary.eventId}`,
          summary,
          expiresAt: epochSeconds(expiresAt),
        },
      }),
    );
  }

  async pending(orgId: string, userId: string, limit: number): Promise<DigestEntry[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :user)',
        ExpressionAttributeValues: { ':pk': this.entries(orgId), ':user': `${userId}#` },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((item) => ({ key: String(item.SK), summary: item.summary as EventSummary }));
  }

  async claim(
    orgId: string,
    userId: string,
    dueAt: string,
    keys: readonly string[],
    now: Date,
    leaseMs: number,
  ): Promise<{ state: 'claimed' | 'sent' | 'busy'; keys: readonly string[] }> {
    const key = { PK: this.sends(orgId), SK: `${userId}#${dueAt}` };
    // New, or a sender that stopped before marking it sent (its lease over): this sender takes it,
    // with the entries the first claim listed, so a retry sends the same digest.
    const claimed = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: key,
          UpdateExpression:
            'SET #state = :sending, leaseUntil = :lease, expiresAt = :expires, entryKeys = if_not_exists(entryKeys, :keys)',
          ConditionExpression: 'attribute_not_exists(PK) OR (#state = :sending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':lease': now.getTime() + leaseMs,
            ':now': now.getTime(),
            ':expires': epochSeconds(new Date(now.getTime() + SEND_RECORD_DAYS * 86_400_000)),
            ':keys': [...keys],
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (claimed) return { state: 'claimed', keys: (claimed.Attributes?.entryKeys as string[]) ?? [] };
    const existing = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).get(
      key.PK,
      key.SK,
      { consistent: true },
    );
    const listed = (existing?.entryKeys as string[] | undefined) ?? [];
    return { state: existing?.state === 'sent' ? 'sent' : 'busy', keys: listed };
  }

  async markSent(orgId: string, userId: string, dueAt: string, messageId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tables.domainTable,
        Key: { PK: this.sends(orgId), SK: `${userId}#${dueAt}` },
        UpdateExpression: 'SET #state = :sent, messageId = :id',
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sent': 'sent', ':sending': 'sending', ':id': messageId },
      }),
    );
  }

  async clear(orgId: string, userId: string, keys: readonly string[]): Promise<void> {
    const pk = this.entries(orgId);
    const mine = keys.filter((k) => k.startsWith(`${userId}#`));
    for (let i = 0; i < mine.length; i += 25) {
      let requests: Record<string, unknown>[] | undefined = mine
        .slice(i, i + 25)
        .map((sk) => ({ DeleteRequest: { Key: { PK: pk, SK: sk } } }));
      for (let round = 0; requests && requests.length > 0 && round < 5; round++) {
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tables.domainTable]: requests as never } }),
        );
        requests = out.UnprocessedItems?.[this.tables.domainTable] as Record<string, unknown>[] | undefined;
      }
    }
  }
}
