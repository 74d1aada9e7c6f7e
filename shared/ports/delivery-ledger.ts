import type { CanonicalEvent } from '../events/canonical-event';

/**
 * Publishes an inbound delivery's event at most once per delivery key. A repeated delivery
 * gets the first outcome back; a delivery whose publishing failed can be tried again.
 */
export interface DeliveryLedger {
  publishOnce(deliveryKey: string, event: CanonicalEvent): Promise<{ eventId: string; duplicate: boolean }>;
}
