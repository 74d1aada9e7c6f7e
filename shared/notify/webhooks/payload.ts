import type { CanonicalEvent } from '../../events/canonical-event';

/**
 * The version of what endpoints receive (`WebhookPayloadV1`): fields are only added within a
 * version; anything else comes as a new one. Receivers read it from the payload's `version`.
 */
export const WEBHOOK_PAYLOAD_VERSION = 1;

/**
 * The body an endpoint is sent for an event: the canonical event with the payload's version at its
 * top level, where Standard Webhooks puts a payload's metadata. Signed as is, so receivers verify
 * the bytes they got.
 */
export function webhookPayload(event: CanonicalEvent): string {
  const { claim: _claim, ...whole } = event;
  return JSON.stringify({ ...whole, version: WEBHOOK_PAYLOAD_VERSION });
}
