import * as adapters from '../../shared/adapters/wiring';
import { makeAuditedRawRead, makeReadRawDelivery } from '../../shared/events/raw-delivery';
import { apiHandler } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';

/** The raw delivery an event came from, byte for byte, with its delivery id and hash in headers. */
export const makeHandler = (read: ReturnType<typeof makeAuditedRawRead>) =>
  apiHandler({
    operation: 'getRawEvent',
    handle: async ({ path, principal, request }) => {
      const raw = await read(path.orgId, path.eventId, principal, request);
      return {
        statusCode: 200,
        headers: {
          // The sender chose the type it came with (`text/html` is as easy to send as JSON): it is
          // answered as bytes to save, never as a page the API's origin would render.
          'content-type': 'application/octet-stream',
          'content-disposition': `attachment; filename="${path.eventId}.raw"`,
          'content-security-policy': "default-src 'none'; sandbox",
          'x-original-content-type': (raw.contentType ?? 'application/json').replace(/[^\x20-\x7e]/g, ''),
          'x-delivery-id': raw.deliveryId,
          'x-content-sha256': raw.sha256,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        },
        body: raw.body,
      };
    },
  });

export const handler = makeHandler(
  makeAuditedRawRead({
    read: makeReadRawDelivery({ events: adapters.eventStore(), claims: adapters.claimCheckStore() }),
    audit: adapters.auditStore(),
    clock: systemClock,
  }),
);
