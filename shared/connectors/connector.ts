import type { CanonicalEvent } from '../events/canonical-event';
import type { Provider } from './connection';

/** A delivery as the webhook endpoint received it: headers lower-cased, the body as sent. */
export interface WebhookDelivery {
  readonly orgId: string;
  readonly connectionId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly receivedAt: Date;
  readonly correlationId: string;
}

/**
 * What every provider implements to receive webhooks. Adding a provider is a new folder under
 * `shared/connectors/` with one of these, and a line in the registry; the endpoint, de-duplication,
 * quotas and publishing are shared.
 */
export interface WebhookConnector {
  readonly provider: Provider;
  /** Throws UnauthenticatedError unless the delivery carries a valid signature made with `secret`. */
  verify(secret: string, delivery: WebhookDelivery): Promise<void>;
  /** The provider's id of the delivery, the same on every retry of it; ValidationError when missing. */
  deliveryId(delivery: WebhookDelivery): string;
  /**
   * The canonical event a verified delivery becomes, or null for an event type the hub does not
   * use (acknowledged, and not retried by the provider). ValidationError for a malformed payload.
   */
  normalise(delivery: WebhookDelivery, deliveryId: string): CanonicalEvent | null;
}
