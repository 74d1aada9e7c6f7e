import * as z from 'zod';
import { ValidationError } from '../errors';
import { zodIssues } from '../validation';
import type { CanonicalEvent } from './canonical-event';
import { CanonicalEventSchema } from './canonical-event';

/** The envelope EventBridge wraps around an event when it delivers it to an SQS target. */
const BusEnvelopeSchema = z.object({
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  time: z.string(),
  detail: CanonicalEventSchema,
});

/** Reads the canonical event out of an SQS message body written by an EventBridge rule. */
export function parseBusEnvelope(body: string): CanonicalEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('The message body is not JSON', [], { cause });
  }
  const parsed = BusEnvelopeSchema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError('The message is not a canonical event', zodIssues(parsed.error));
  return parsed.data.detail;
}
