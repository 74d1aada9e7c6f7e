import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { UnsubscribeSubject, UnsubscribeTokenStore } from '../../notify/email/ports';
import { epochSeconds, platformPk } from './keys';
import type { DataClient } from './tenant-routing-client';

/** The platform prefix of unsubscribe tokens (`shared/topology/access.ts` lists it as a pointer type). */
export const UNSUBSCRIBE_TOKEN_PREFIX = 'UNSUB';

/**
 * Unsubscribe tokens by their hash, under the platform prefix (an unsubscribe link carries no
 * org): each names its org and user (or address), and expires with DynamoDB's TTL.
 */
export class DynamoDbUnsubscribeTokenStore implements UnsubscribeTokenStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async put(tokenHash: string, subject: UnsubscribeSubject, expiresAt: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: platformPk(UNSUBSCRIBE_TOKEN_PREFIX, tokenHash),
          SK: 'UNSUBSCRIBE',
          ...subject,
          expiresAt: epochSeconds(expiresAt),
        },
      }),
    );
  }

  async find(tokenHash: string): Promise<UnsubscribeSubject | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.domainTable,
        Key: { PK: platformPk(UNSUBSCRIBE_TOKEN_PREFIX, tokenHash), SK: 'UNSUBSCRIBE' },
      }),
    );
    const item = out.Item;
    // TTL deletes within days of expiry, not at once: an expired token is refused here.
    if (!item || Number(item.expiresAt) * 1000 <= Date.now()) return null;
    const orgId = String(item.orgId);
    if (typeof item.userId === 'string') return { orgId, userId: item.userId };
    if (typeof item.address === 'string') return { orgId, address: item.address };
    return null;
  }
}
