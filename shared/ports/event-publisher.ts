import type { CanonicalEvent } from '../events/canonical-event';

/** Puts canonical events on the hub's bus. Resolves only once the bus has accepted every event. */
export interface EventPublisher {
  publish(events: readonly CanonicalEvent[]): Promise<void>;
}
