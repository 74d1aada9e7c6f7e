import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EventBridgePublisher,
  entrySize,
  MAX_ENTRY_BYTES,
} from '../../../../shared/adapters/eventbridge/eventbridge-publisher';
import type { ClaimCheckStore } from '../../../../shared/ports/claim-check-store';
import { aCanonicalEvent } from '../../../support/builders';

const bus = mockClient(EventBridgeClient);
const stored: { tenantId: string; name: string; body: string }[] = [];
const claims: ClaimCheckStore = {
  put: async (tenantId, name, body) => {
    stored.push({ tenantId, name, body });
    return { key: `T#${tenantId}/${name}`, bytes: Buffer.byteLength(body), sha256: 'a'.repeat(64) };
  },
  get: async () => '',
  purgeTenant: async () => ({ removed: 0, done: true }),
};
const publisher = () => new EventBridgePublisher(new EventBridgeClient({}), 'hub-events', claims);
const entriesOf = (call: number) => bus.commandCalls(PutEventsCommand)[call]?.args[0].input.Entries ?? [];

beforeEach(() => {
  bus.reset();
  stored.length = 0;
  bus.on(PutEventsCommand).callsFake((input: PutEventsCommand['input']) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `e-${i}` })),
  }));
});

describe('EventBridgePublisher', () => {
  it('keeps every call within ten entries and 256 KiB, as PutEvents requires', async () => {
    const big = () => aCanonicalEvent({ data: { text: 'x'.repeat(100 * 1024) } });
    await publisher().publish([big(), big(), big(), ...Array.from({ length: 12 }, () => aCanonicalEvent())]);
    const calls = bus.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.flat()).toHaveLength(15);
    for (const entries of calls) {
      expect(entries.length).toBeLessThanOrEqual(10);
      expect(entries.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    }
    expect(stored).toEqual([]);
  });

  it('claim-checks only the events too large for one entry, keeping their place and routing fields', async () => {
    const huge = aCanonicalEvent({ type: 'work_item.created', data: { text: 'ü'.repeat(150 * 1024) } });
    const small = aCanonicalEvent();
    await publisher().publish([small, huge]);
    expect(stored.map((c) => [c.tenantId, c.name])).toEqual([[huge.tenantId, `events/${huge.id}.json`]]);
    // Stored whole: every field, the data included.
    expect(JSON.parse(stored[0]?.body ?? '{}')).toEqual(huge);
    const [first, second] = entriesOf(0);
    expect(JSON.parse(String(first?.Detail))).toEqual(small);
    expect(second).toMatchObject({ Source: 'integration-hub.generic', DetailType: 'work_item.created' });
    expect(JSON.parse(String(second?.Detail))).toEqual({
      ...Object.fromEntries(Object.entries(huge).filter(([k]) => k !== 'data')),
      claim: {
        key: `T#${huge.tenantId}/events/${huge.id}.json`,
        bytes: Buffer.byteLength(stored[0]?.body ?? ''),
        sha256: 'a'.repeat(64),
      },
    });
  });
});
