import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SignInGrant, SignInGrantStore } from '../../sso/sign-in-grants';
import { platformPointers } from '../../topology/access';
import { ifConditionHolds } from './conditional';
import { epochSeconds, platformPk } from './keys';
import type { DataClient } from './tenant-routing-client';

// Keyed by the username's hash: no email in a key.
const key = (username: string) => ({
  PK: platformPk(platformPointers.signInGrants, createHash('sha256').update(username).digest('base64url')),
  SK: 'GRANT',
});

/**
 * One-time sign-in grants in the domain table under the platform prefix, one per user, expiring by
 * TTL (and refused past `validUntil` before the TTL sweep gets to them). Spent by a conditional
 * update on the grant's id that drops its secret: of two answers with one secret, one spends it;
 * the spent grant stays (for the pre-token trigger's `amr`) until its longer TTL.
 */
export class DynamoDbSignInGrants implements SignInGrantStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async put(grant: SignInGrant): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          ...key(grant.username),
          grantId: grant.grantId,
          username: grant.username,
          orgId: grant.orgId,
          userId: grant.userId,
          amr: [...grant.amr],
          connectionId: grant.connectionId,
          secretHash: grant.secretHash,
          validUntil: grant.expiresAt.toISOString(),
          expiresAt: epochSeconds(grant.expiresAt),
        },
      }),
    );
  }

  async find(username: string): Promise<SignInGrant | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.domainTable, Key: key(username), ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return null;
    return {
      grantId: String(item.grantId),
      username: String(item.username),
      orgId: String(item.orgId),
      userId: String(item.userId),
      amr: Array.isArray(item.amr) ? item.amr.map(String) : [],
      connectionId: String(item.connectionId),
      secretHash: typeof item.secretHash === 'string' ? item.secretHash : '',
      expiresAt: new Date(String(item.validUntil)),
      ...(typeof item.spentAt === 'string' ? { spentAt: new Date(item.spentAt) } : {}),
    };
  }

  async consume(username: string, grantId: string, spentAt: Date, keepUntil: Date): Promise<boolean> {
    const out = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.domainTable,
          Key: key(username),
          UpdateExpression: 'SET spentAt = :spentAt, expiresAt = :ttl REMOVE secretHash',
          ConditionExpression: 'grantId = :grantId AND attribute_not_exists(spentAt)',
          ExpressionAttributeValues: {
            ':grantId': grantId,
            ':spentAt': spentAt.toISOString(),
            ':ttl': epochSeconds(keepUntil),
          },
        }),
      ),
    );
    return out !== undefined;
  }
}
