import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { publicUrl } from '../../shared/config/config';
import { makeSendDigests } from '../../shared/notify/email/digests';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';

/** Scheduled every five minutes: sends the hourly and daily digests that have come due, one email per user. */
export const makeHandler = (send: ReturnType<typeof makeSendDigests>) =>
  instrumented(async () => {
    const counts = await send();
    metrics.addMetric('DigestsSent', MetricUnit.Count, counts.sent);
    if (counts.failed > 0) metrics.addMetric('DigestsFailed', MetricUnit.Count, counts.failed);
    logger.info('Digests handled', { counts });
    return counts;
  });

const clock = hubClock();
export const handler = makeHandler(
  makeSendDigests({
    digests: adapters.digestStore(),
    due: adapters.dueIndex(clock),
    users: adapters.userStore(),
    orgs: adapters.tenantDirectory(),
    preferences: adapters.notificationPreferenceStore(),
    suppressions: adapters.mailSuppressionStore(),
    tokens: adapters.unsubscribeTokenStore(),
    mailer: adapters.mailer(),
    clock,
    publicUrl: publicUrl(),
  }),
);
