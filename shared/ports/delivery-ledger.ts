import type { CanonicalEvent } from '../events/canonical-event';

/**
 * Publishes an inbound delivery's event at most once per delivery key. A repeated delivery
 * gets the first outcome back; a delivery whose publishing failed can be tried again.
 */
export interface DeliveryLedger {
  /**
   * The event a delivery key was already published as, or null if it was not (or its publishing
   * failed); an `InProgressError` while another attempt is publishing it.
   */
  previous(deliveryKey: string): Promise<{ eventId: string } | null>;
  publishOnce(deliveryKey: string, event: CanonicalEvent): Promise<{ eventId: string; duplicate: boolean }>;
}
