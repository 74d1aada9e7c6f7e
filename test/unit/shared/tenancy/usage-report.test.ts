import type { OrgStore, UsageStore } from '../../../../shared/ports/stores';
import type { Org } from '../../../../shared/tenancy/org';
import { PLANS } from '../../../../shared/tenancy/plans';
import { makeUsageReport } from '../../../../shared/tenancy/usage-report';

const orgId = 'org_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE';
const at = new Date('2026-12-02T10:00:00.000Z');

describe('the usage report', () => {
  it("shows notification rules, webhook endpoints, today's emails and open connections against the plan", async () => {
    const orgs = { get: async () => ({ id: orgId, plan: 'team', status: 'active' }) as unknown as Org };
    const usage = {
      current: async () => ({ users: 3, notificationRules: 4, webhookEndpoints: 2, mappings: 1, api: 7 }),
    };
    const days: string[] = [];
    const report = makeUsageReport({
      orgs: orgs as unknown as OrgStore,
      usage: usage as unknown as UsageStore,
      clock: { now: () => at },
      emailsOn: async (_org, when) => {
        days.push(when.toISOString());
        return 42;
      },
      openConnections: async () => 5,
    });
    const result = await report(orgId);
    expect(result.limits.emailsPerDay).toBe(PLANS.team.emailsPerDay);
    expect(result.limits.realtimeConnections).toBe(PLANS.team.realtimeConnections);
    expect(result.usage).toMatchObject({
      users: 3,
      notificationRules: 4,
      webhookEndpoints: 2,
      mappings: 1,
      apiRequestsPerMinute: 7,
      emailsPerDay: 42,
      realtimeConnections: 5,
    });
    expect(days).toEqual([at.toISOString()]);
  });
});
