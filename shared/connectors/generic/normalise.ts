import * as z from 'zod';
import { ValidationError } from '../../errors';
import type { Normalised } from '../../events/canonical';
import { CUSTOM_TYPE_PREFIX, canonicalEvent, isCanonicalType } from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import { zodIssues } from '../../validation';

/** The Standard Webhooks payload shape: a type, an optional timestamp and the data. */
export const GenericWebhookPayloadSchema = z
  .object({
    type: z
      .string()
      .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'dot-separated words, e.g. "invoice.paid"')
      .max(100),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .meta({ id: 'GenericWebhookPayload' });

export interface GenericDelivery {
  readonly orgId: string;
  readonly connectionId: string;
  readonly webhookId: string;
  /** When the sender signed the delivery (the `webhook-timestamp` header). */
  readonly sentAt: Date;
  readonly body: string;
  readonly receivedAt: Date;
  readonly correlationId: string;
}

/**
 * Turns a verified generic delivery into a canonical event. A sender may send one of the canonical
 * types, whose data must then be what that type's schema says (a ValidationError naming what does
 * not fit otherwise); any other type is the sender's own, published as `custom.<type>` with its
 * data as given.
 */
export function normaliseGenericDelivery(delivery: GenericDelivery): CanonicalEvent {
  let json: unknown;
  try {
    json = JSON.parse(delivery.body);
  } catch (cause) {
    throw new ValidationError('The body is not valid JSON', [], { cause });
  }
  const parsed = GenericWebhookPayloadSchema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError('The payload is not a Standard Webhooks payload', zodIssues(parsed.error));
  const payload = parsed.data;
  const type = payload.type.toLowerCase();
  const occurredAt = new Date(payload.timestamp ?? delivery.sentAt).toISOString();
  return canonicalEvent(
    delivery,
    'generic',
    delivery.webhookId,
    isCanonicalType(type)
      ? ({ type, data: payload.data, occurredAt } as Normalised)
      : {
          type: type.startsWith(CUSTOM_TYPE_PREFIX) ? (type as `custom.${string}`) : `custom.${type}`,
          data: payload.data,
          occurredAt,
        },
  );
}
