import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PostedRef } from '../../chat/model';
import type { PostedCardState, PostedRefKey, PostedRefStore } from '../../notify/chat/ports';
import { ifConditionHolds } from './conditional';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

const DAY_MS = 86_400_000;

/**
 * The chat cards posted per item, one item per (connection, conversation, item) under the org's
 * partition: a claim (owner, lease) becomes the card's ref once posted; conditional writes make
 * one first post per item, and keep an older event from replacing what a card shows.
 */
export class DynamoDbPostedRefStore implements PostedRefStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private key(key: PostedRefKey) {
    const pk = tenantPk(key.orgId, TENANT_COLLECTIONS.chatCards);
    new TenantScopedTable(this.client, this.domainTable, key.orgId).check(pk);
    return { PK: pk, SK: `${key.connectionId}#${key.conversation}#${key.threadKey}` };
  }

  async find(key: PostedRefKey): Promise<PostedCardState | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.domainTable, Key: this.key(key), ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return null;
    if (item.ref)
      return { kind: 'posted', ref: item.ref as PostedRef, shownEventAt: String(item.shownEventAt) };
    return { kind: 'posting', until: new Date(Number(item.claimedUntil)).toISOString() };
  }

  async claim(key: PostedRefKey, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const claimed = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.domainTable,
          Item: {
            ...this.key(key),
            owner,
            claimedUntil: now.getTime() + leaseMs,
            expiresAt: epochSeconds(new Date(now.getTime() + leaseMs + DAY_MS)),
          },
          // No card yet, and no claim, or one whose holder died (its lease over).
          ConditionExpression:
            'attribute_not_exists(PK) OR (attribute_not_exists(#ref) AND claimedUntil < :now)',
          ExpressionAttributeNames: { '#ref': 'ref' },
          ExpressionAttributeValues: { ':now': now.getTime() },
        }),
      ),
    );
    return claimed !== undefined;
  }

  async record(key: PostedRefKey, ref: PostedRef, shownEventAt: string, ttlDays: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          ...this.key(key),
          ref,
          shownEventAt,
          expiresAt: epochSeconds(new Date(Date.now() + ttlDays * DAY_MS)),
        },
      }),
    );
  }

  async release(key: PostedRefKey, owner: string): Promise<void> {
    await ifConditionHolds(
      this.client.send(
        new DeleteCommand({
          TableName: this.domainTable,
          Key: this.key(key),
          ConditionExpression: '#owner = :owner AND attribute_not_exists(#ref)',
          ExpressionAttributeNames: { '#owner': 'owner', '#ref': 'ref' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }

  async noteShown(key: PostedRefKey, shownEventAt: string, ttlDays: number): Promise<boolean> {
    const noted = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.domainTable,
          Key: this.key(key),
          UpdateExpression: 'SET shownEventAt = :at, expiresAt = :exp',
          ConditionExpression: 'attribute_exists(#ref) AND shownEventAt < :at',
          ExpressionAttributeNames: { '#ref': 'ref' },
          ExpressionAttributeValues: {
            ':at': shownEventAt,
            ':exp': epochSeconds(new Date(Date.now() + ttlDays * DAY_MS)),
          },
        }),
      ),
    );
    return noted !== undefined;
  }
}
