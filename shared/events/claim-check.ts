import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '../errors';
import type { ClaimCheckStore } from '../ports/claim-check-store';
import type { EventStore } from '../ports/stores';
import { zodIssues } from '../validation';
import type { CanonicalEvent } from './canonical-event';
import { CanonicalEventSchema } from './canonical-event';

const ClaimReferenceSchema = z.object({
  key: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * A canonical event too large for the bus, as the bus carries it: the whole envelope (so rules and
 * the failure policy still see its id, type, source and tenant) with `data` replaced by a reference
 * to the stored event. It deliberately fails the canonical schema, so nothing can use it unresolved.
 */
export const ClaimCheckedEventSchema = CanonicalEventSchema.omit({ data: true }).extend({
  claim: ClaimReferenceSchema,
});
export type ClaimCheckedEvent = z.infer<typeof ClaimCheckedEventSchema>;

/** Stores the whole event under its tenant and answers what goes on the bus in its place. */
export async function claimCheck(event: CanonicalEvent, store: ClaimCheckStore): Promise<ClaimCheckedEvent> {
  const { data: _data, claim: _claim, ...envelope } = event;
  const claim = await store.put(
    event.tenantId,
    `events/${event.id}.json`,
    JSON.stringify({ ...envelope, data: event.data }),
  );
  return { ...envelope, claim };
}

/**
 * The stored event a reference names, checked to be that very event: under the envelope's tenant,
 * byte for byte what was stored, with the envelope's id, tenant and type.
 */
export async function resolveClaim(
  checked: ClaimCheckedEvent,
  store: ClaimCheckStore,
): Promise<CanonicalEvent> {
  const { claim } = checked;
  if (!claim.key.startsWith(`T#${checked.tenantId}/`)) {
    throw new ValidationError(`The claim ${claim.key} is not under the event's tenant`);
  }
  const body = await store.get(claim.key);
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length !== claim.bytes || createHash('sha256').update(bytes).digest('hex') !== claim.sha256) {
    throw new ValidationError(`The claim ${claim.key} is not the payload the event references`);
  }
  const parsed = CanonicalEventSchema.safeParse(JSON.parse(body));
  if (!parsed.success) {
    throw new ValidationError('The claim-checked payload is not a canonical event', zodIssues(parsed.error));
  }
  const event = parsed.data;
  if (event.id !== checked.id || event.tenantId !== checked.tenantId || event.type !== checked.type) {
    throw new ValidationError(`The claim ${claim.key} holds another event than ${checked.id}`);
  }
  // The reference stays with the event: a store that cannot hold the whole event keeps it instead.
  return { ...event, claim };
}

/**
 * The event feed, for events that were too large for the bus: the feed (a DynamoDB item, 400 KB
 * at most) keeps the envelope and the reference, marked by `claim`, not the whole event.
 */
export function feedOfReferences(store: EventStore): EventStore {
  return {
    put: (event) => store.put(event.claim ? { ...event, data: {} } : event),
    list: (orgId, page) => store.list(orgId, page),
    get: (orgId, eventId) => store.get(orgId, eventId),
  };
}
