import type { SQSRecord } from 'aws-lambda';
import { auditBySystem } from '../audit/audit-record';
import { ProviderAuthError } from '../errors';
import { newId } from '../ids';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { MessageQueues } from '../ports/message-queue';
import type { AuditStore, DeadLetterStore } from '../ports/stores';
import { queues as topologyQueues } from '../topology';
import type { QueueAction } from './failure-policy';
import { actionFor } from './failure-policy';

const queueLimits: Readonly<Record<string, { maxReceiveCount: number }>> = topologyQueues;

/** The event a message carries, as far as the failure handling needs it. */
function describe(record: SQSRecord): {
  orgId: string | null;
  eventId: string | null;
  eventType: string | null;
  connectionId: string | null;
} {
  try {
    const detail = (JSON.parse(record.body) as { detail?: Record<string, unknown> }).detail ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      orgId: str(detail.tenantId),
      eventId: str(detail.id),
      eventType: str(detail.type),
      connectionId: str((detail.source as Record<string, unknown> | undefined)?.connectionId),
    };
  } catch {
    return { orgId: null, eventId: null, eventType: null, connectionId: null };
  }
}

export interface QueueWorkerDeps {
  readonly queue: string;
  readonly deadLetters: Pick<DeadLetterStore, 'park'>;
  readonly queues: Pick<MessageQueues, 'delay'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
  /** Marks a connection whose credentials the provider refused. */
  readonly markNeedsAttention?: (orgId: string, connectionId: string, reason: string) => Promise<void>;
}

/**
 * Wraps a worker's per-record handling with the failure policy: a retry goes back on the queue
 * after the policy's delay (the batch reports it failed); a parked message is stored in its org's
 * dead letters with the reason and taken off the queue; a dropped one is audited. A message whose
 * org cannot be read is retried, and after the queue's maximum receives SQS moves it to the DLQ.
 */
export function withFailurePolicy(deps: QueueWorkerDeps, handle: (record: SQSRecord) => Promise<void>) {
  return async (record: SQSRecord): Promise<void> => {
    try {
      await handle(record);
    } catch (error) {
      const attempts = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const action: QueueAction = actionFor(error, attempts);
      const about = describe(record);
      logger.warn('Message failed', {
        action: action.kind,
        reason: action.reason,
        attempts,
        eventId: about.eventId,
      });
      // The last receive SQS allows: instead of going to the queue's DLQ, where only an operator
      // sees it, the message is parked in its org's dead letters with the reason, for the org's
      // own redrive once the cause is fixed.
      const lastReceive = attempts >= (queueLimits[deps.queue]?.maxReceiveCount ?? Number.POSITIVE_INFINITY);
      if (action.kind === 'retry' && lastReceive && about.orgId !== null) {
        await deps.deadLetters.park({
          id: newId('dlq'),
          orgId: about.orgId,
          queue: deps.queue,
          reason: `Gave up after ${attempts} attempts: ${action.reason}`,
          attempts,
          eventId: about.eventId,
          eventType: about.eventType,
          parkedAt: deps.clock.now().toISOString(),
          body: record.body,
        });
        return;
      }
      if (action.kind === 'retry' || about.orgId === null) {
        const delay = action.kind === 'retry' ? action.delaySeconds : undefined;
        if (delay !== undefined) {
          await deps.queues
            .delay(record.eventSourceARN, record.receiptHandle, delay)
            .catch((e: unknown) => logger.warn('Could not delay a retry', { error: e as Error }));
        }
        throw error;
      }
      const at = deps.clock.now();
      if (action.kind === 'drop') {
        await deps.audit.append(
          auditBySystem({
            action: 'queue.message_dropped',
            actor: 'hub-workers',
            orgId: about.orgId,
            targets: [{ type: 'event', id: about.eventId ?? record.messageId }],
            requestId: record.messageId,
            at,
            outcome: 'failed',
            after: { reason: action.reason, queue: deps.queue },
          }),
        );
        return;
      }
      // The connection the provider refused: the one the error names (a sync worker writes to
      // another connection than the event came from), else the event's own.
      const connectionId =
        (error instanceof ProviderAuthError ? error.connectionId : undefined) ?? about.connectionId;
      if (action.kind === 'park-needs-attention' && connectionId && deps.markNeedsAttention) {
        await deps.markNeedsAttention(about.orgId, connectionId, action.reason);
      }
      await deps.deadLetters.park({
        id: newId('dlq'),
        orgId: about.orgId,
        queue: deps.queue,
        reason: action.reason,
        attempts,
        eventId: about.eventId,
        eventType: about.eventType,
        parkedAt: at.toISOString(),
        body: record.body,
      });
    }
  };
}
