import { newId } from '../../../../shared/ids';
import { makeDeliver, parseOrder } from '../../../../shared/notify/delivery/deliver';
import { makeDeliveryQueue } from '../../../../shared/notify/delivery/delivery-queue';
import type { DeliveryChannel, DeliveryStore } from '../../../../shared/notify/delivery/ports';
import type { DeliveryMessage } from '../../../../shared/notify/model';
import type { StoredEndpoint } from '../../../../shared/notify/webhooks/endpoint';
import type { WebhookEndpointStore } from '../../../../shared/notify/webhooks/endpoint-store';
import { makeWebhookChannel } from '../../../../shared/notify/webhooks/webhook-channel';
import { aCanonicalEvent } from '../../../support/builders';

/** The delivery store in memory, noting the order of its calls. */
function memoryStore() {
  const calls: string[] = [];
  const events = new Map<string, unknown>();
  const messages = new Map<string, DeliveryMessage>();
  const store: DeliveryStore = {
    putEvent: async (event) => void events.set(event.id, event),
    getEvent: async (_orgId, eventId) => {
      calls.push('getEvent');
      return (events.get(eventId) as never) ?? null;
    },
    createMessages: async (ms) => {
      for (const m of ms) messages.set(m.id, m);
      return { existing: [] };
    },
    getMessage: async (_orgId, id) => {
      calls.push('getMessage');
      await new Promise((r) => setImmediate(r));
      return messages.get(id) ?? null;
    },
    saveMessage: async (next) => {
      messages.set(next.id, next);
      return true;
    },
    listAttempts: async () => ({ items: [], nextCursor: null }),
    messageAttempts: async () => [],
    failedSince: async () => [],
    consumeRate: async () => true,
  };
  return { store, calls, messages };
}

describe('the delivery path, for latency', () => {
  it("reads a first attempt's event side by side with its message, from the event id its order carries", async () => {
    const { store, calls } = memoryStore();
    const sent: string[] = [];
    const queue = makeDeliveryQueue({
      store,
      queues: {
        send: async () => undefined,
        sendBatch: async (_q: string, entries: readonly { body: string }[]) =>
          void sent.push(...entries.map((e) => e.body)),
      } as never,
      clock: { now: () => new Date() },
    });
    const event = aCanonicalEvent({ tenantId: newId('org') });
    await queue.enqueue(event, [{ channel: 'webhook', endpointId: newId('ep') }]);
    const order = parseOrder(String(sent[0]));
    expect(order.eventId).toBe(event.id);
    const channel: DeliveryChannel = {
      channel: 'webhook',
      retrySchedule: [0],
      render: async () => ({ channel: 'webhook', contentType: 'application/json', body: '', headers: {} }),
      send: async () => ({ ok: true, statusCode: 204, durationMs: 1 }),
    };
    const deliver = makeDeliver({
      store,
      channels: { webhook: channel as DeliveryChannel<never> },
      queues: { send: async () => undefined },
      dueIndex: { add: async () => undefined },
      clock: { now: () => new Date() },
    });
    expect(await deliver(order)).toBe('delivered');
    // The event read began before the message read answered: one round trip, not two in a row.
    expect(calls.slice(0, 2)).toEqual(['getEvent', 'getMessage']);
  });

  it("shares one read of an endpoint among a burst's deliveries, and reads it again after a 410", async () => {
    const orgId = newId('org');
    const endpointId = newId('ep');
    let reads = 0;
    let enabled = true;
    const endpoint = (): StoredEndpoint => ({
      id: endpointId,
      orgId,
      url: 'https://hooks.example.com/x',
      eventTypes: ['*'],
      enabled,
      rateLimitPerSecond: 20,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      version: 1,
      secrets: [],
    });
    const endpoints = {
      get: async () => {
        reads++;
        return endpoint();
      },
      markFailing: async () => true,
      disable: async () => {
        enabled = false;
        return true;
      },
    } as unknown as WebhookEndpointStore;
    const channel = makeWebhookChannel({
      endpoints,
      cipher: { encrypt: async (p) => p, decrypt: async (c) => c },
      fetch: (async () => new Response(null, { status: 410 })) as typeof fetch,
      dueIndex: { add: async () => undefined },
      audit: { append: async () => undefined },
      clock: { now: () => new Date() },
    });
    const message = (): DeliveryMessage & { target: { channel: 'webhook'; endpointId: string } } => ({
      orgId,
      id: newId('msg'),
      eventId: newId('evt'),
      eventType: 'custom.x',
      target: { channel: 'webhook', endpointId },
      status: 'pending',
      attempts: 0,
      createdAt: new Date().toISOString(),
    });
    const burst = await Promise.all(Array.from({ length: 10 }, () => channel.readiness?.(message())));
    expect(burst.every((r) => r?.kind === 'ready')).toBe(true);
    expect(reads).toBe(1);
    await channel.observe?.(
      message(),
      { ok: false, durationMs: 1, error: 'HTTP 410', statusCode: 410, permanent: 'gone' },
      new Date(),
    );
    expect(await channel.readiness?.(message())).toMatchObject({ kind: 'drop' });
  });
});
