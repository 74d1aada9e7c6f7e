import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeUsageReport } from '../../shared/tenancy/usage-report';

export const makeHandler = (report: ReturnType<typeof makeUsageReport>) =>
  apiHandler({
    operation: 'getUsage',
    handle: async ({ path }) => json(200, await report(path.orgId)),
  });

export const handler = makeHandler(
  makeUsageReport({ orgs: adapters.orgStore(), usage: adapters.usageStore(), clock: systemClock }),
);
