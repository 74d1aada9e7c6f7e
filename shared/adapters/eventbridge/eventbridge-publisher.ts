import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DependencyUnavailableError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { ClaimCheckedEvent } from '../../events/claim-check';
import { claimCheck } from '../../events/claim-check';
import type { ClaimCheckStore } from '../../ports/claim-check-store';
import type { EventPublisher } from '../../ports/event-publisher';
import { EVENT_SOURCE_PREFIX } from '../../topology';

/** PutEvents takes at most ten entries a call. */
export const MAX_ENTRIES = 10;
/** PutEvents' limit on one entry, and on the entries of one call together (256 KiB). */
export const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * An entry's size as EventBridge counts it: 14 bytes for a Time, plus the UTF-8 bytes of Source,
 * DetailType, Detail and each Resource.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const utf8 = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    utf8(entry.Source) +
    utf8(entry.DetailType) +
    utf8(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + utf8(r), 0)
  );
}

/**
 * Publishes canonical events on the hub's bus. An event too large for a bus entry is stored whole
 * in the claim-check store and published as a reference (workers read it back); calls are batched
 * within PutEvents' entry count and size limits.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly claims: ClaimCheckStore,
  ) {}

  private entry(event: CanonicalEvent, detail: CanonicalEvent | ClaimCheckedEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: `${EVENT_SOURCE_PREFIX}${event.source.provider}`,
      DetailType: event.type,
      Time: new Date(event.occurredAt),
      Detail: JSON.stringify(detail),
    };
  }

  async publish(events: readonly CanonicalEvent[]): Promise<void> {
    const entries = await Promise.all(
      events.map(async (event) => {
        const whole = this.entry(event, event);
        if (entrySize(whole) <= MAX_ENTRY_BYTES) return whole;
        return this.entry(event, await claimCheck(event, this.claims));
      }),
    );
    for (const chunk of batches(entries)) await this.put(chunk);
  }

  private async put(chunk: PutEventsRequestEntry[]): Promise<void> {
    let failed: number;
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: chunk }));
      failed = out.FailedEntryCount ?? 0;
    } catch (cause) {
      throw new DependencyUnavailableError('The event bus did not accept the events', { cause });
    }
    // A partial failure is a failure: the caller retries, and consumers de-duplicate by event id.
    if (failed > 0)
      throw new DependencyUnavailableError(`The event bus rejected ${failed} of ${chunk.length} events`);
  }
}

/** Consecutive entries in calls of at most ten entries and 256 KiB together. */
function batches(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length === MAX_ENTRIES || (current.length > 0 && bytes + size > MAX_ENTRY_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
