import * as z from 'zod';
import * as adapters from '../adapters/wiring';
import { ValidationError } from '../errors';
import type { ClaimCheckStore } from '../ports/claim-check-store';
import { zodIssues } from '../validation';
import type { CanonicalEvent } from './canonical-event';
import { CanonicalEventSchema } from './canonical-event';
import { ClaimCheckedEventSchema, resolveClaim } from './claim-check';

/** The envelope EventBridge wraps around an event when it delivers it to an SQS target. */
const BusEnvelopeSchema = z.object({
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  time: z.string(),
  detail: z.union([CanonicalEventSchema, ClaimCheckedEventSchema]),
});

/**
 * Reads the canonical event out of an SQS message body written by an EventBridge rule. An event
 * that was too large for the bus is read back whole from the claim-check store, so every worker
 * sees the event as it was published.
 */
// The production store by default: each worker reads its events here, and needs no wiring of its own.
export async function parseBusEnvelope(
  body: string,
  claims: ClaimCheckStore = adapters.claimCheckStore(),
): Promise<CanonicalEvent> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('The message body is not JSON', [], { cause });
  }
  const parsed = BusEnvelopeSchema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError('The message is not a canonical event', zodIssues(parsed.error));
  const detail = parsed.data.detail;
  return 'data' in detail ? detail : resolveClaim(detail, claims);
}
