import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageStore } from '../../ports/stores';
import type { Rate } from '../../tenancy/plans';
import { windowOf } from '../../tenancy/plans';
import { epochSeconds } from './keys';
import { assertTenantId } from './tenant-scoped-table';
import { TOTALS_SK, usagePk } from './usage-items';

const windowSk = (rate: Rate, start: number) => `RATE#${rate.name}#${start}`;

/**
 * Rates are counted on one item per org and window with a conditional ADD, so concurrent requests
 * can never be admitted past the limit; windows expire by TTL an hour after they close.
 */
export class DynamoDbUsageStore implements UsageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly domainTable: string,
  ) {}

  async consumeRate(
    orgId: string,
    rate: Rate,
    at: Date,
  ): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    assertTenantId(orgId);
    const { start, retryAfterSeconds } = windowOf(rate, at);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.domainTable,
          Key: { PK: usagePk(orgId), SK: windowSk(rate, start) },
          UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': rate.limit,
            ':expires': epochSeconds(new Date((start + rate.windowSeconds + 3600) * 1000)),
          },
        }),
      );
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException')
        return { allowed: false, retryAfterSeconds };
      throw error;
    }
  }

  async current(orgId: string, rates: readonly Rate[], at: Date): Promise<Record<string, number>> {
    assertTenantId(orgId);
    const keys = [
      { PK: usagePk(orgId), SK: TOTALS_SK },
      ...rates.map((rate) => ({ PK: usagePk(orgId), SK: windowSk(rate, windowOf(rate, at).start) })),
    ];
    const out = await this.client.send(
      new BatchGetCommand({ RequestItems: { [this.domainTable]: { Keys: keys } } }),
    );
    const items = out.Responses?.[this.domainTable] ?? [];
    const bySk = new Map(items.map((i) => [String(i.SK), i]));
    const totals = bySk.get(TOTALS_SK) ?? {};
    const result: Record<string, number> = {
      apiKeys: Number(totals.apiKeys ?? 0),
      connections: Number(totals.connections ?? 0),
    };
    for (const rate of rates) {
      result[rate.name] = Number(bySk.get(windowSk(rate, windowOf(rate, at).start))?.count ?? 0);
    }
    return result;
  }
}
