import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import * as adapters from '../../shared/adapters/wiring';
import { logger, metrics, tracer } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makePurgeDeletedOrgs } from '../../shared/tenancy/delete-org';

/** Scheduled: purges the orgs whose grace period has ended and reports what it removed. */
export const makeHandler = (purge: ReturnType<typeof makePurgeDeletedOrgs>) =>
  middy(async () => {
    const reports = await purge();
    metrics.addMetric('OrgsPurged', MetricUnit.Count, reports.length);
    for (const report of reports)
      logger.info('Organisation purged', { tenantId: report.orgId, removed: report.removed });
    return { purged: reports };
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));

export const handler = makeHandler(
  makePurgeDeletedOrgs({
    orgs: adapters.orgStore(),
    purger: adapters.orgPurger(),
    audit: adapters.auditStore(),
    clock: systemClock,
  }),
);
