import type { CanonicalEvent } from '../events/canonical-event';

/**
 * Publishes an inbound delivery's event at most once per delivery key. A repeated delivery
 * gets the first outcome back; a delivery whose publishing failed can be tried again.
 */
export interface DeliveryLedger {
  /**
   * Publishes the event unless the key was published already (then the first outcome comes back,
   * `duplicate: true`); an `InProgressError` while another attempt is publishing it. `admit` runs
   * once the key is claimed and before the event is published, for the first delivery only (what
   * a replay must not repeat: spending the allowance, keeping the raw copy); if it throws, nothing
   * is published and the key is released, so the sender's retry is processed again.
   */
  publishOnce(
    deliveryKey: string,
    event: CanonicalEvent,
    admit?: () => Promise<void>,
  ): Promise<{ eventId: string; duplicate: boolean }>;
}
