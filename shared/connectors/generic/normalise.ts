import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import { newId } from '../../ids';
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

/** Turns a verified generic delivery into the canonical event envelope. */
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
  return {
    id: newId('evt'),
    type: `generic.${payload.type.toLowerCase()}`,
    source: { provider: 'generic', connectionId: delivery.connectionId },
    tenantId: delivery.orgId,
    occurredAt: new Date(payload.timestamp ?? delivery.sentAt).toISOString(),
    receivedAt: delivery.receivedAt.toISOString(),
    correlationId: delivery.correlationId,
    data: payload.data,
    raw: { deliveryId: delivery.webhookId, sha256: createHash('sha256').update(delivery.body).digest('hex') },
  };
}
