import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuthorizerContext } from '../../identity/principal';
import type { RealtimeConnection, RealtimeConnectionStore } from '../../realtime/connections';
import { expiryOf } from '../../realtime/connections';
import { ifConditionHolds } from './conditional';
import { epochSeconds, platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

const LOOKUP_SK = 'CONNECTION';

/**
 * Real-time connections in the domain table: one item per connection in its org's partition
 * (`T#<org>#WSCONN`, what the fan-out queries), and a platform lookup by connection id
 * (`P#WSCONN#<id>`, holding only the org id) for `$disconnect`, which knows nothing else. Both
 * carry the TTL, so a connection whose `$disconnect` never came is swept by DynamoDB.
 */
export class DynamoDbRealtimeConnections implements RealtimeConnectionStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private pk(orgId: string) {
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.realtimeConnections);
    new TenantScopedTable(this.client, this.domainTable, orgId).check(pk);
    return pk;
  }

  private lookupKey(connectionId: string) {
    return { PK: platformPk(TENANT_COLLECTIONS.realtimeConnections, connectionId), SK: LOOKUP_SK };
  }

  async open(c: RealtimeConnection): Promise<void> {
    const expiresAt = epochSeconds(new Date(c.expiresAt));
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.domainTable,
              Item: {
                PK: this.pk(c.orgId),
                SK: c.connectionId,
                principal: c.principal,
                types: [...c.types],
                connectedAt: c.connectedAt,
                expiresAtIso: c.expiresAt,
                expiresAt,
                ...(c.credentialExpiresAt ? { credentialExpiresAt: c.credentialExpiresAt } : {}),
                ...(c.sourceIp ? { sourceIp: c.sourceIp } : {}),
              },
            },
          },
          {
            Put: {
              TableName: this.domainTable,
              Item: { ...this.lookupKey(c.connectionId), orgId: c.orgId, expiresAt },
            },
          },
        ],
      }),
    );
  }

  async orgOf(connectionId: string): Promise<string | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.domainTable,
        Key: this.lookupKey(connectionId),
        ConsistentRead: true,
      }),
    );
    return typeof out.Item?.orgId === 'string' ? out.Item.orgId : null;
  }

  async get(orgId: string, connectionId: string): Promise<RealtimeConnection | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.domainTable,
        Key: { PK: this.pk(orgId), SK: connectionId },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(orgId, out.Item) : null;
  }

  async touch(orgId: string, connectionId: string, at: Date, types?: readonly string[]): Promise<boolean> {
    const current = await this.get(orgId, connectionId);
    if (!current) return false;
    const expires = expiryOf(new Date(current.connectedAt), at);
    const updated = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.domainTable,
          Key: { PK: this.pk(orgId), SK: connectionId },
          UpdateExpression: `SET expiresAt = :epoch, expiresAtIso = :iso${types ? ', #types = :types' : ''}`,
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: types ? { '#types': 'types' } : undefined,
          ExpressionAttributeValues: {
            ':epoch': epochSeconds(expires),
            ':iso': expires.toISOString(),
            ...(types ? { ':types': [...types] } : {}),
          },
        }),
      ),
    );
    if (!updated) return false;
    // The lookup's TTL follows, so `$disconnect` still finds the org of a long-lived connection.
    await this.client.send(
      new UpdateCommand({
        TableName: this.domainTable,
        Key: this.lookupKey(connectionId),
        UpdateExpression: 'SET expiresAt = :epoch',
        ExpressionAttributeValues: { ':epoch': epochSeconds(expires) },
      }),
    );
    return true;
  }

  async countOpen(orgId: string, at: Date): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.domainTable,
          KeyConditionExpression: 'PK = :pk',
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':pk': this.pk(orgId), ':now': epochSeconds(at) },
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async listOpen(orgId: string, at: Date): Promise<RealtimeConnection[]> {
    const found: RealtimeConnection[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.domainTable,
          KeyConditionExpression: 'PK = :pk',
          // DynamoDB's TTL deletes within days, not at once: an expired item is not an open connection.
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':pk': this.pk(orgId), ':now': epochSeconds(at) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) found.push(fromItem(orgId, item));
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  }

  async close(orgId: string, connectionId: string): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: this.domainTable, Key: { PK: this.pk(orgId), SK: connectionId } } },
          { Delete: { TableName: this.domainTable, Key: this.lookupKey(connectionId) } },
        ],
      }),
    );
  }
}

function fromItem(orgId: string, item: Record<string, unknown>): RealtimeConnection {
  return {
    orgId,
    connectionId: String(item.SK),
    principal: (item.principal ?? {}) as AuthorizerContext,
    types: Array.isArray(item.types) ? item.types.map(String) : [],
    connectedAt: String(item.connectedAt),
    expiresAt: String(item.expiresAtIso),
    ...(typeof item.credentialExpiresAt === 'string'
      ? { credentialExpiresAt: item.credentialExpiresAt }
      : {}),
    ...(typeof item.sourceIp === 'string' ? { sourceIp: item.sourceIp } : {}),
  };
}
