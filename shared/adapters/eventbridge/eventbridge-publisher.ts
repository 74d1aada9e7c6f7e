import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DependencyUnavailableError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { EventPublisher } from '../../ports/event-publisher';
import { EVENT_SOURCE_PREFIX } from '../../topology';

/** PutEvents takes at most ten entries a call. */
const MAX_ENTRIES = 10;

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly CanonicalEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const chunk = events.slice(i, i + MAX_ENTRIES);
      let failed: number;
      try {
        const out = await this.client.send(
          new PutEventsCommand({
            Entries: chunk.map((event) => ({
              EventBusName: this.busName,
              Source: `${EVENT_SOURCE_PREFIX}${event.source.provider}`,
              DetailType: event.type,
              Time: new Date(event.occurredAt),
              Detail: JSON.stringify(event),
            })),
          }),
        );
        failed = out.FailedEntryCount ?? 0;
      } catch (cause) {
        throw new DependencyUnavailableError('The event bus did not accept the events', { cause });
      }
      // A partial failure is a failure: the caller retries, and consumers de-duplicate by event id.
      if (failed > 0)
        throw new DependencyUnavailableError(`The event bus rejected ${failed} of ${chunk.length} events`);
    }
  }
}
