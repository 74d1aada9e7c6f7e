import type { QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HourlyUsage, MeteredUnit, Page, PageRequest, UsageStore } from '../../ports/stores';
import type { Rate } from '../../tenancy/plans';
import { windowOf } from '../../tenancy/plans';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { assertTenantId, TenantScopedTable } from './tenant-scoped-table';
import { TOTALS_SK, usagePk } from './usage-items';

const windowSk = (rate: Rate, start: number) => `RATE#${rate.name}#${start}`;
const hourStartOf = (at: Date) => Math.floor(at.getTime() / 3_600_000) * 3600;

/**
 * Rates are counted on one item per org and window with a conditional ADD, so concurrent requests
 * can never be admitted past the limit; windows expire by TTL an hour after they close.
 */
export class DynamoDbUsageStore implements UsageStore {
  constructor(
    private readonly client: DataClient,
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
            // Kept three hours past the window: the hourly meter sums the minutes of the hour before.
            ':expires': epochSeconds(new Date((start + rate.windowSeconds + 3 * 3600) * 1000)),
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

  async meter(orgId: string, unit: MeteredUnit, at: Date): Promise<void> {
    assertTenantId(orgId);
    const hour = hourStartOf(at);
    await this.client.send(
      new UpdateCommand({
        TableName: this.domainTable,
        Key: { PK: usagePk(orgId), SK: `METER#${unit}#${hour}` },
        UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': 1, ':expires': hour + 3 * 86_400 },
      }),
    );
  }

  async hourTotals(orgId: string, hourStart: Date): Promise<Record<MeteredUnit, number>> {
    assertTenantId(orgId);
    const start = hourStartOf(hourStart);
    // API requests are already counted per minute for the rate limit: the hour is the sum of its minutes.
    let apiRequests = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.domainTable,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': usagePk(orgId),
            ':from': `RATE#api#${start}`,
            ':to': `RATE#api#${start + 3599}`,
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) apiRequests += Number(item.count ?? 0);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    const webhooks = await this.client.send(
      new GetCommand({
        TableName: this.domainTable,
        Key: { PK: usagePk(orgId), SK: `METER#webhookEvents#${start}` },
      }),
    );
    return { apiRequests, webhookEvents: Number(webhooks.Item?.count ?? 0) };
  }

  async saveHour(orgId: string, hourStart: Date, totals: Record<MeteredUnit, number>): Promise<void> {
    assertTenantId(orgId);
    const hour = new Date(hourStartOf(hourStart) * 1000).toISOString();
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: { PK: tenantPk(orgId, TENANT_COLLECTIONS.meter), SK: hour, hour, ...totals },
      }),
    );
  }

  async listHours(orgId: string, page: PageRequest): Promise<Page<HourlyUsage>> {
    const table = new TenantScopedTable(this.client, this.domainTable, orgId);
    const result = await table.queryPage(tenantPk(orgId, TENANT_COLLECTIONS.meter), page);
    return {
      items: result.items.map((i) => ({
        hour: String(i.hour),
        apiRequests: Number(i.apiRequests ?? 0),
        webhookEvents: Number(i.webhookEvents ?? 0),
      })),
      nextCursor: result.nextCursor,
    };
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
      users: Number(totals.users ?? 0),
      teams: Number(totals.teams ?? 0),
      apiKeys: Number(totals.apiKeys ?? 0),
      connections: Number(totals.connections ?? 0),
      mappings: Number(totals.mappings ?? 0),
      notificationRules: Number(totals.notificationRules ?? 0),
      webhookEndpoints: Number(totals.webhookEndpoints ?? 0),
    };
    for (const rate of rates) {
      result[rate.name] = Number(bySk.get(windowSk(rate, windowOf(rate, at).start))?.count ?? 0);
    }
    return result;
  }
}
