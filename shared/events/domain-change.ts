import { createHash } from 'node:crypto';
import type { CanonicalEvent } from './canonical-event';
import { CanonicalEventSchema } from './canonical-event';

/** The tenant collections whose new items are announced on the bus, and the event type each becomes. */
const ANNOUNCED: Readonly<Record<string, { type: string; fields: readonly string[] }>> = {
  ORG: { type: 'org.created', fields: ['id', 'name', 'slug', 'status', 'createdAt'] },
  CON: { type: 'connection.created', fields: ['id', 'provider', 'name', 'status', 'createdAt'] },
  // The outbox of invitation emails: the mail worker reads the email (and its encrypted token) itself.
  INVITEMAIL: { type: 'invitation.sent', fields: ['id', 'invitationId', 'role', 'sendCount', 'createdAt'] },
  APIKEY: { type: 'api_key.created', fields: ['id', 'name', 'role', 'display', 'createdAt', 'expiresAt'] },
};

const TENANT_PK = /^T#(org_[0-9A-Z]{26})#([A-Z]+)$/;
/**
 * The outbox: an item here holds a whole event (its `event`, as JSON), written in the transaction
 * of the change it announces (an approval decided), published as it is.
 */
const OUTBOX = 'OUTBOX';

/** Whether an item under this partition key is announced, decided from the key alone. */
export function isAnnouncedKey(pk: unknown): boolean {
  const collection = TENANT_PK.exec(String(pk))?.[2];
  return collection !== undefined && (collection in ANNOUNCED || collection === OUTBOX);
}

/** The event an outbox item holds, if it is a canonical event of the partition's own org. */
function outboxEvent(item: Record<string, unknown>, orgId: string): CanonicalEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(String(item.event));
  } catch {
    return null;
  }
  const parsed = CanonicalEventSchema.safeParse(json);
  return parsed.success && parsed.data.tenantId === orgId ? parsed.data : null;
}

/**
 * Turns an item inserted into the domain table into the canonical event that announces it, or
 * null for items that are not announced (events themselves, platform lookups). Only listed fields
 * are copied, so nothing secret can ride along. The event id is derived from the entity's ULID, so
 * a retried stream batch publishes the same event again and consumers de-duplicate it.
 */
export function domainEventFromInsert(
  item: Record<string, unknown>,
  streamEventId: string,
  now: Date,
): CanonicalEvent | null {
  const match = TENANT_PK.exec(String(item.PK));
  const orgId = match?.[1];
  if (orgId && match?.[2] === OUTBOX) return outboxEvent(item, orgId);
  const announced = match?.[2] ? ANNOUNCED[match[2]] : undefined;
  if (!orgId || !announced || typeof item.id !== 'string') return null;
  const ulid = item.id.slice(item.id.indexOf('_') + 1);
  const data = Object.fromEntries(announced.fields.filter((f) => f in item).map((f) => [f, item[f]]));
  return {
    id: `evt_${ulid}`,
    type: announced.type,
    source: { provider: 'hub', connectionId: 'hub' },
    tenantId: orgId,
    occurredAt: typeof item.createdAt === 'string' ? item.createdAt : now.toISOString(),
    receivedAt: now.toISOString(),
    correlationId: streamEventId,
    data,
    raw: {
      deliveryId: streamEventId,
      sha256: createHash('sha256').update(JSON.stringify(data)).digest('hex'),
    },
  };
}
