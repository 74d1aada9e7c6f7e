import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { mailConfig } from '../../shared/config/config';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';
import { makeSendInvitationMail } from '../../shared/tenancy/send-invitation-mail';

/**
 * Sends invitation emails. A failed send is reported alone and retried; after the queue's
 * maximum receives it is parked in the DLQ (its alarm fires) and the invitation can be resent.
 */
export const makeHandler = (send: ReturnType<typeof makeSendInvitationMail>, failures: QueueWorkerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const sendRecord = async (record: SQSRecord) => {
    const event = await parseBusEnvelope(record.body);
    const outcome = await send(event);
    metrics.addMetric(
      outcome === 'sent' ? 'InvitationMailSent' : 'InvitationMailSkipped',
      MetricUnit.Count,
      1,
    );
    logger.info('Invitation email handled', { eventId: event.id, tenantId: event.tenantId, outcome });
  };
  return instrumented(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, withFailurePolicy(failures, sendRecord), processor, { context }),
  );
};

export const handler = makeHandler(
  makeSendInvitationMail({
    invitations: adapters.invitationStore(),
    cipher: adapters.secretCipher(),
    mailer: adapters.mailer(),
    config: mailConfig(),
    clock: systemClock,
  }),
  adapters.queueWorker('mail'),
);
