import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbUsageStore } from '../../shared/adapters/dynamodb/dynamodb-usage-store';
import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { makeMeterUsage } from '../../shared/tenancy/meter-usage';
import { apiRate, webhookRate } from '../../shared/tenancy/plans';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

// The last full hour by the real clock: DynamoDB Local's TTL sweeper deletes counters of long-past windows.
const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
const at = (minutes: number) => new Date(hour.getTime() + minutes * 60_000);

describe('usage metering on DynamoDB Local', () => {
  it("admits a rate's limit exactly within a window, and the next window starts afresh", async () => {
    const usage = new DynamoDbUsageStore(aws.docs, aws.tables.domainTable);
    const orgId = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E7';
    const rate = { name: 'api' as const, limit: 5, windowSeconds: 60 };
    const results = await Promise.all(
      Array.from({ length: 12 }, () => usage.consumeRate(orgId, rate, at(0))),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results.find((r) => !r.allowed)?.retryAfterSeconds).toBe(60);
    expect((await usage.consumeRate(orgId, rate, at(1))).allowed).toBe(true);
  });

  it('sums the last full hour per org, keeps it, and emits usage.recorded once per org and hour', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const usage = new DynamoDbUsageStore(aws.docs, aws.tables.domainTable);
    const busy = await makeCreateOrg({ orgs, clock: { now: () => hour } })(
      { name: 'Busy', slug: 'busy-meter' },
      platformAdmin,
      {
        requestId: 'r',
        ip: '127.0.0.1',
        userAgent: 'jest',
      },
    );
    await makeCreateOrg({ orgs, clock: { now: () => hour } })(
      { name: 'Idle', slug: 'idle-meter' },
      platformAdmin,
      {
        requestId: 'r',
        ip: '127.0.0.1',
        userAgent: 'jest',
      },
    );
    for (const minute of [0, 0, 15, 59]) await usage.consumeRate(busy.id, apiRate(busy.plan), at(minute));
    await usage.consumeRate(busy.id, apiRate(busy.plan), at(60)); // the next hour: not metered yet
    for (const minute of [5, 40]) {
      await usage.consumeRate(busy.id, webhookRate(busy.plan), at(minute));
      await usage.meter(busy.id, 'webhookEvents', at(minute));
    }

    const published: CanonicalEvent[] = [];
    const meter = makeMeterUsage({
      orgs,
      usage,
      publisher: { publish: async (events) => void published.push(...events) },
      clock: { now: () => at(65) },
    });
    const first = await meter();
    expect(first.hour).toBe(hour.toISOString());
    expect(published.filter((e) => e.tenantId === busy.id)).toEqual([
      expect.objectContaining({
        type: 'usage.recorded',
        data: expect.objectContaining({ hour: hour.toISOString(), apiRequests: 4, webhookEvents: 2 }),
      }),
    ]);
    const hours = await usage.listHours(busy.id, { limit: 10 });
    expect(hours.items).toEqual([{ hour: hour.toISOString(), apiRequests: 4, webhookEvents: 2 }]);

    await meter();
    const again = published.filter((e) => e.tenantId === busy.id);
    expect(again).toHaveLength(2);
    expect(again[1]?.id).toBe(again[0]?.id);
    expect((await usage.listHours(busy.id, { limit: 10 })).items).toHaveLength(1);
  });
});
