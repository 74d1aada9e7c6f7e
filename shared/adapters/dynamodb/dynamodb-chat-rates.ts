import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatRateLimiter, ChatRateOutcome } from '../../chat/ports';
import type { Rate } from '../../tenancy/plans';
import { windowOf } from '../../tenancy/plans';
import { epochSeconds } from './keys';
import type { DataClient } from './tenant-routing-client';
import { assertTenantId } from './tenant-scoped-table';
import { usagePk } from './usage-items';

/**
 * Each chat user's rate, counted next to the org's other rate windows (one item per person and
 * window) with a conditional ADD, so concurrent work is never admitted past the limit. One use past
 * the limit is still counted, so exactly one refusal a window says so; the rest are silent.
 */
export class DynamoDbChatRates implements ChatRateLimiter {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
    private readonly rate: Rate,
  ) {}

  async consume(
    orgId: string,
    who: { readonly provider: string; readonly platformUserId: string },
    at: Date,
  ): Promise<ChatRateOutcome> {
    assertTenantId(orgId);
    const { start, retryAfterSeconds } = windowOf(this.rate, at);
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.domainTable,
          Key: {
            PK: usagePk(orgId),
            SK: `RATE#${this.rate.name}#${who.provider}#${who.platformUserId}#${start}`,
          },
          UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': this.rate.limit,
            ':expires': epochSeconds(new Date((start + this.rate.windowSeconds + 3600) * 1000)),
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = Number(out.Attributes?.count ?? 0);
      return count <= this.rate.limit
        ? { outcome: 'allowed', retryAfterSeconds: 0 }
        : { outcome: 'over', retryAfterSeconds };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException')
        return { outcome: 'silent', retryAfterSeconds };
      throw error;
    }
  }
}
