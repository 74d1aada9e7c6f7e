import { createHash } from 'node:crypto';
import { ApprovalEventDataSchema } from '../events/canonical/approval';
import type { CanonicalEvent } from '../events/canonical-event';
import { newId } from '../ids';
import type { DeliveryTarget } from '../notify/model';
import type { ApprovalView } from './approval';

export type ApprovalEventType =
  | 'approval.requested'
  | 'approval.decided'
  | 'approval.expired'
  | 'approval.cancelled';

/** The hub's own source: rules and the matcher trust only it for approval events. */
export const HUB_SOURCE = { provider: 'hub', connectionId: 'hub' } as const;

/** The canonical event announcing an approval as it now is. */
export function approvalEvent(
  type: ApprovalEventType,
  approval: ApprovalView,
  at: Date,
  correlationId: string,
): CanonicalEvent {
  const data = { approval };
  return {
    id: newId('evt'),
    type,
    source: { ...HUB_SOURCE },
    tenantId: approval.orgId,
    occurredAt: at.toISOString(),
    receivedAt: at.toISOString(),
    correlationId,
    data,
    raw: {
      deliveryId: `${approval.id}:${type}`,
      sha256: createHash('sha256').update(JSON.stringify(data)).digest('hex'),
    },
  };
}

/** The approval an event carries, when it is one of the hub's own approval events; else null. */
export function approvalOf(event: CanonicalEvent): ApprovalView | null {
  if (event.source.provider !== HUB_SOURCE.provider || !event.type.startsWith('approval.')) return null;
  const parsed = ApprovalEventDataSchema.safeParse(event.data);
  return parsed.success && parsed.data.approval.orgId === event.tenantId ? parsed.data.approval : null;
}

/**
 * The targets an approval's events go to whatever the org's rules and filters say: its callback
 * endpoint, and its chat destination (where the question is posted, and its card updated when it
 * is resolved). Only the hub's own events name them: a sender cannot steer deliveries.
 */
export function approvalTargets(event: CanonicalEvent): DeliveryTarget[] {
  const approval = approvalOf(event);
  if (!approval) return [];
  const targets: DeliveryTarget[] = [];
  if (approval.callbackEndpointId)
    targets.push({ channel: 'webhook', endpointId: approval.callbackEndpointId });
  if (approval.destination)
    targets.push({
      channel: 'chat',
      provider: approval.destination.provider,
      connectionId: approval.destination.connectionId,
      conversation: approval.destination.conversation,
    });
  return targets;
}
