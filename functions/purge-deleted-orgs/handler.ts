import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makePurgeDeletedOrgs } from '../../shared/tenancy/delete-org';

/** What a run leaves itself to note its progress before the function's time is up. */
const MARGIN_MS = 60_000;

/**
 * Scheduled: purges the orgs whose grace period has ended and reports what it removed. A big org
 * takes several runs: each stops a minute before its time is up, and the next continues.
 */
export const makeHandler = (purge: ReturnType<typeof makePurgeDeletedOrgs>) =>
  instrumented(async (_event: unknown, context: Context) => {
    const reports = await purge(() => context.getRemainingTimeInMillis() < MARGIN_MS);
    metrics.addMetric('OrgsPurged', MetricUnit.Count, reports.filter((r) => r.done).length);
    for (const report of reports)
      logger.info(
        report.done ? 'Organisation purged' : 'Organisation partly purged; the next run continues',
        {
          tenantId: report.orgId,
          removed: report.removed,
        },
      );
    return { purged: reports };
  });

export const handler = makeHandler(
  makePurgeDeletedOrgs({
    orgs: adapters.orgStore(),
    purger: adapters.orgPurger(),
    clock: systemClock,
  }),
);
