import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { ValidationError } from '../../shared/errors';
import { makeSuppressFromFeedback, parseMailFeedback } from '../../shared/notify/email/suppressions';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';

/**
 * Reads the mail service's bounce and complaint events (SES → the default bus → the `mailFeedback`
 * queue) and suppresses the addresses in the org the message's tag names. Each record is handled
 * alone (partial batch failures); the same feedback twice suppresses once.
 */
export const makeHandler = (suppress: ReturnType<typeof makeSuppressFromFeedback>) => {
  const processor = new BatchProcessor(EventType.SQS);
  const handle = async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch (cause) {
      // Retried until the queue's DLQ keeps it for an operator: nothing accepted is dropped.
      throw new ValidationError('The feedback message is not JSON', [], { cause });
    }
    const feedback = parseMailFeedback(body);
    if (!feedback) {
      metrics.addMetric('MailFeedbackIgnored', MetricUnit.Count, 1);
      logger.info('Mail feedback that suppresses nothing (a transient bounce, or mail sent for no org)');
      return;
    }
    const suppressed = await suppress(feedback, record.messageId);
    metrics.addMetric('MailAddressesSuppressed', MetricUnit.Count, suppressed);
    logger.info('Mail feedback handled', { tenantId: feedback.orgId, reason: feedback.reason, suppressed });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, handle, processor, { context }),
  );
};

export const handler = makeHandler(
  makeSuppressFromFeedback({ suppressions: adapters.mailSuppressionStore(), clock: hubClock() }),
);
