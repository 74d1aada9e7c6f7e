import type { SQSRecord } from 'aws-lambda';
import { auditBySystem, onceAuditId } from '../audit/audit-record';
import { ProviderAuthError } from '../errors';
import { newId } from '../ids';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { MessageQueues } from '../ports/message-queue';
import type { AuditStore, DeadLetterStore } from '../ports/stores';
import type { TenantDirectory } from '../tenancy/tenant-directory';
import { queues as topologyQueues } from '../topology';
import { TtlCache } from '../ttl-cache';
import type { QueueAction } from './failure-policy';
import { actionFor } from './failure-policy';

const queueLimits: Readonly<Record<string, { maxReceiveCount: number }>> = topologyQueues;

/**
 * The event a message carries, as far as the failure handling needs it. Bus events carry their org
 * as `detail.tenantId`; scan pages ride in the same envelope with the page as `detail.scan`, and a
 * plain message (a fan-out of work per mapping) may name it at the top as `orgId`.
 */
function describe(record: SQSRecord): {
  orgId: string | null;
  eventId: string | null;
  eventType: string | null;
  connectionId: string | null;
} {
  try {
    const body = JSON.parse(record.body) as Record<string, unknown> | null;
    const detail = (body?.detail ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const scan = (detail.scan ?? {}) as Record<string, unknown>;
    return {
      orgId: str(detail.tenantId) ?? str(scan.orgId) ?? str(body?.orgId) ?? str(body?.tenantId),
      eventId: str(detail.id),
      eventType: str(detail.type),
      connectionId:
        str((detail.source as Record<string, unknown> | undefined)?.connectionId) ?? str(body?.connectionId),
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
  /**
   * Where a message's org is read (cached): the work of an org that is not active is not done.
   * Left out, every message is handled (tests of a worker's own logic).
   */
  readonly tenants?: Pick<TenantDirectory, 'get'>;
  /**
   * Keeps a message of an org that is suspended (or deleted, and restorable) for when it is active
   * again, where nothing else would find its work again (a delivery order); left out, it is
   * acknowledged without work. A failure to keep it is retried like any other.
   */
  readonly keepInactive?: (record: SQSRecord) => Promise<void>;
}

/** Skips already audited in this environment, so a suspended org's backlog costs no write per message. */
const auditedSkips = new TtlCache<true>(3_600_000, 10_000);

/**
 * `active` when the message's org is active. Otherwise its work is not done now: a suspended org's
 * changes are found again by the reconciliation after it is reactivated (its cursor did not move),
 * a queue whose work nothing would find again keeps it (`keepInactive`), and a purged org's is
 * never done (`gone`). Audited once per org and status change, not per message.
 */
async function orgState(
  deps: QueueWorkerDeps,
  orgId: string,
  record: SQSRecord,
): Promise<'active' | 'inactive' | 'gone'> {
  if (!deps.tenants) return 'active';
  const org = await deps.tenants.get(orgId);
  if (org?.status === 'active') return 'active';
  const status = org?.status ?? 'gone';
  logger.info('Message skipped: its organisation is not active', {
    tenantId: orgId,
    status,
    queue: deps.queue,
    messageId: record.messageId,
  });
  // A purged org has no trail to add to beyond the purge's own record.
  if (!org) return 'gone';
  const since = org.statusChangedAt ?? org.deletedAt ?? org.updatedAt ?? org.createdAt;
  const key = `work-skipped#${org.id}#${org.status}#${since}`;
  if (auditedSkips.get(key)) return 'inactive';
  const at = deps.clock.now();
  await deps.audit.append({
    ...auditBySystem({
      action: 'org.work_skipped',
      actor: 'hub-workers',
      orgId: org.id,
      targets: [{ type: 'org', id: org.id }],
      requestId: record.messageId,
      at,
      after: { status: org.status, since, queue: deps.queue },
    }),
    // The same id for every message of this suspension: the trail keeps the first.
    id: onceAuditId(since, key),
  });
  auditedSkips.set(key, true);
  return 'inactive';
}

/**
 * Wraps a worker's per-record handling with the failure policy: a retry goes back on the queue
 * after the policy's delay (the batch reports it failed); a parked message is stored in its org's
 * dead letters with the reason and taken off the queue; a dropped one is audited. A message whose
 * org cannot be read is retried, and after the queue's maximum receives SQS moves it to the DLQ.
 * A message of an org that is suspended or deleted is acknowledged without work (audited once),
 * kept first by `keepInactive` where the queue has one.
 */
export function withFailurePolicy(deps: QueueWorkerDeps, handle: (record: SQSRecord) => Promise<void>) {
  return async (record: SQSRecord): Promise<void> => {
    const about = describe(record);
    try {
      // Acknowledged without work (kept first, where the queue keeps it); a failure to read the
      // org, or to keep its message, is retried like any other.
      const state = about.orgId === null ? 'active' : await orgState(deps, about.orgId, record);
      if (state === 'inactive' && deps.keepInactive) await deps.keepInactive(record);
      if (state !== 'active') return;
      await handle(record);
    } catch (error) {
      const attempts = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const action: QueueAction = actionFor(error, attempts);
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
