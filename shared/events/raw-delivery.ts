import { createHash } from 'node:crypto';
import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { ClaimCheckStore } from '../ports/claim-check-store';
import type { Clock } from '../ports/clock';
import type { AuditStore, EventStore } from '../ports/stores';

/**
 * Where a delivery's raw body is kept: under its tenant (so an org purge removes it), by connection
 * and content hash, which the canonical event already carries (`source.connectionId`, `raw.sha256`).
 * Content-addressed, so a provider's retry stores the same object again, harmlessly.
 */
export const rawDeliveryName = (connectionId: string, sha256: string) => `raw/${connectionId}/${sha256}.body`;
const rawDeliveryKey = (tenantId: string, connectionId: string, sha256: string) =>
  `T#${tenantId}/${rawDeliveryName(connectionId, sha256)}`;

/** Keeps a verified delivery's raw body for debugging and replays, with its org's retention. */
export function makeStoreRawDelivery(claims: Pick<ClaimCheckStore, 'put'>) {
  return async (tenantId: string, connectionId: string, body: string): Promise<string> => {
    const sha256 = createHash('sha256').update(body).digest('hex');
    await claims.put(tenantId, rawDeliveryName(connectionId, sha256), body);
    return sha256;
  };
}

/** The raw delivery an org's event was normalised from, checked to be the one its hash names. */
export function makeReadRawDelivery(deps: {
  events: Pick<EventStore, 'get'>;
  claims: Pick<ClaimCheckStore, 'get'>;
}) {
  return async (
    orgId: string,
    eventId: string,
  ): Promise<{ body: string; sha256: string; deliveryId: string; contentType?: string }> => {
    const event = await deps.events.get(orgId, eventId);
    if (!event) throw new NotFoundError(`No event ${eventId}`);
    const { sha256, deliveryId, contentType } = event.raw;
    const body = await deps.claims
      .get(rawDeliveryKey(orgId, event.source.connectionId, sha256))
      .catch((error) => {
        if (error instanceof NotFoundError)
          throw new NotFoundError(
            `The raw delivery of ${eventId} is not kept (past its retention, or the event was not received by webhook)`,
          );
        throw error;
      });
    if (createHash('sha256').update(body).digest('hex') !== sha256)
      throw new NotFoundError(`The raw delivery of ${eventId} is not the one it was normalised from`);
    return { body, sha256, deliveryId, ...(contentType ? { contentType } : {}) };
  };
}

/**
 * A raw read for a caller: the delivery, then an `event.raw_read` record naming the event, its
 * delivery and hash (never the payload). A read whose record cannot be written fails, unanswered.
 */
export function makeAuditedRawRead(deps: {
  read: ReturnType<typeof makeReadRawDelivery>;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
}) {
  return async (orgId: string, eventId: string, principal: Principal, request: RequestContext) => {
    const raw = await deps.read(orgId, eventId);
    await deps.audit.append(
      auditChange({
        action: 'event.raw_read',
        principal,
        orgId,
        targets: [{ type: 'event', id: eventId }],
        request,
        at: deps.clock.now(),
        after: { deliveryId: raw.deliveryId, sha256: raw.sha256, bytes: Buffer.byteLength(raw.body) },
      }),
    );
    return raw;
  };
}
