import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as adapters from '../../shared/adapters/wiring';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makeMeterUsage } from '../../shared/tenancy/meter-usage';

/** Scheduled hourly: aggregates the last hour's billable units per org and emits `usage.recorded`. */
export const makeHandler = (meter: ReturnType<typeof makeMeterUsage>) =>
  instrumented(async () => {
    const result = await meter();
    metrics.addMetric('OrgsMetered', MetricUnit.Count, result.orgs);
    logger.info('Usage metered', result);
    return result;
  });

export const handler = makeHandler(
  makeMeterUsage({
    orgs: adapters.orgStore(),
    usage: adapters.usageStore(),
    publisher: adapters.eventPublisher(),
    clock: systemClock,
  }),
);
