import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as adapters from '../../shared/adapters/wiring';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makePurgeDeletedOrgs } from '../../shared/tenancy/delete-org';

/** Scheduled: purges the orgs whose grace period has ended and reports what it removed. */
export const makeHandler = (purge: ReturnType<typeof makePurgeDeletedOrgs>) =>
  instrumented(async () => {
    const reports = await purge();
    metrics.addMetric('OrgsPurged', MetricUnit.Count, reports.length);
    for (const report of reports)
      logger.info('Organisation purged', { tenantId: report.orgId, removed: report.removed });
    return { purged: reports };
  });

export const handler = makeHandler(
  makePurgeDeletedOrgs({
    orgs: adapters.orgStore(),
    purger: adapters.orgPurger(),
    audit: adapters.auditStore(),
    clock: systemClock,
  }),
);
