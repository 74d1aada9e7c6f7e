import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import * as adapters from '../../shared/adapters/wiring';
import { logger, metrics, tracer } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makeMeterUsage } from '../../shared/tenancy/meter-usage';

/** Scheduled hourly: aggregates the last hour's billable units per org and emits `usage.recorded`. */
export const makeHandler = (meter: ReturnType<typeof makeMeterUsage>) =>
  middy(async () => {
    const result = await meter();
    metrics.addMetric('OrgsMetered', MetricUnit.Count, result.orgs);
    logger.info('Usage metered', result);
    return result;
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));

export const handler = makeHandler(
  makeMeterUsage({
    orgs: adapters.orgStore(),
    usage: adapters.usageStore(),
    publisher: adapters.eventPublisher(),
    clock: systemClock,
  }),
);
