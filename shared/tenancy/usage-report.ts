import type { Clock } from '../ports/clock';
import type { OrgStore, UsageStore } from '../ports/stores';
import { apiRate, PLANS, webhookRate } from './plans';
import { requireOrg } from './require-org';

/** An org's plan, its limits, and how much of each it is using now. */
export function makeUsageReport(deps: {
  orgs: OrgStore;
  usage: UsageStore;
  clock: Clock;
  /** Notification emails counted on the UTC day `at` falls on. */
  emailsOn?: (orgId: string, at: Date) => Promise<number>;
  /** Open real-time connections now. */
  openConnections?: (orgId: string, at: Date) => Promise<number>;
}) {
  return async (orgId: string) => {
    const org = await requireOrg(deps.orgs, orgId);
    const at = deps.clock.now();
    const [current, emails, connections] = await Promise.all([
      deps.usage.current(orgId, [apiRate(org.plan), webhookRate(org.plan)], at),
      deps.emailsOn ? deps.emailsOn(orgId, at) : 0,
      deps.openConnections ? deps.openConnections(orgId, at) : 0,
    ]);
    return {
      plan: org.plan,
      limits: PLANS[org.plan],
      usage: {
        users: current.users ?? 0,
        teams: current.teams ?? 0,
        apiKeys: current.apiKeys ?? 0,
        connections: current.connections ?? 0,
        mappings: current.mappings ?? 0,
        notificationRules: current.notificationRules ?? 0,
        webhookEndpoints: current.webhookEndpoints ?? 0,
        apiRequestsPerMinute: current.api ?? 0,
        webhookEventsPerDay: current.webhooks ?? 0,
        emailsPerDay: emails,
        realtimeConnections: connections,
      },
      at: at.toISOString(),
    };
  };
}
