import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import { utcDay } from '../../shared/notify/email/email-limits';
import { systemClock } from '../../shared/ports/clock';
import { makeUsageReport } from '../../shared/tenancy/usage-report';

const emailQuota = adapters.emailQuotaStore();
const connections = adapters.realtimeConnectionCounts();

export const makeHandler = (report: ReturnType<typeof makeUsageReport>) =>
  apiHandler({
    operation: 'getUsage',
    handle: async ({ path }) => json(200, await report(path.orgId)),
  });

export const handler = makeHandler(
  makeUsageReport({
    orgs: adapters.orgStore(),
    usage: adapters.usageStore(),
    clock: systemClock,
    emailsOn: (orgId, at) => emailQuota.countOn(orgId, utcDay(at)),
    openConnections: connections.countOpen,
  }),
);
