import type { WebhookRoute } from '../../../../shared/connectors/connection';
import type { WebhookPart } from '../../../../shared/connectors/provider-module';
import { NotFoundError, UnauthenticatedError } from '../../../../shared/errors';
import { canonicalEvent } from '../../../../shared/events/canonical';
import { makeStoreRawDelivery } from '../../../../shared/events/raw-delivery';
import { makeReceiveWebhook } from '../../../../shared/webhooks/receive-webhook';

const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const route: WebhookRoute = {
  orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
  connectionId: CON,
  provider: 'asking',
  status: 'active',
  encryptedSecret: 'sealed',
};

/** A provider that challenges its endpoint (as Asana's X-Hook-Secret does) before it delivers. */
function challenger(seen: string[]): WebhookPart {
  return {
    handshake: async (secret, delivery) => {
      seen.push(`handshake:${secret}`);
      const challenge = delivery.headers['x-challenge'];
      return challenge ? { status: 200, headers: { 'x-challenge': challenge }, body: { challenge } } : null;
    },
    verify: async (secret) => {
      seen.push(`verify:${secret}`);
      throw new UnauthenticatedError('not signed');
    },
    deliveryId: () => 'd-1',
    normalise: () => null,
    docs: { summary: 'asks first', setup: '', headers: ['x-challenge'] },
  };
}

function receive(seen: string[], decrypted: string[]) {
  return makeReceiveWebhook({
    webhooks: { asking: challenger(seen) },
    connections: { findWebhookRoute: async (id) => (id === CON ? route : null) },
    cipher: {
      encrypt: async () => 'x',
      decrypt: async (c) => {
        decrypted.push(c);
        return 'the-secret';
      },
    },
    deliveries: {
      publishOnce: async (_k: string, _e: unknown, admit?: () => Promise<void>) => {
        await admit?.();
        return { eventId: 'evt_1', duplicate: false };
      },
    } as never,
    tenants: { get: async () => null },
    usage: { consumeRate: async () => ({ allowed: true }), meter: async () => {} } as never,
    storeRaw: async () => 'sha',
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    secretCacheSeconds: 0,
  });
}

const input = (headers: Record<string, string>) => ({
  connectionId: CON,
  headers,
  body: '{}',
  correlationId: 'c-1',
});

describe('the one webhook endpoint, with the modules it is given', () => {
  it("answers a provider's challenge with its module's reply, given the connection's secret, before any verification", async () => {
    const seen: string[] = [];
    const accepted = await receive(seen, [])('asking', input({ 'x-challenge': 'abc' }));
    expect(accepted).toEqual({
      orgId: route.orgId,
      ignored: true,
      reply: { status: 200, headers: { 'x-challenge': 'abc' }, body: { challenge: 'abc' } },
    });
    expect(seen).toEqual(['handshake:the-secret']);
  });

  it('verifies an ordinary delivery after the handshake says it is none', async () => {
    const seen: string[] = [];
    await expect(receive(seen, [])('asking', input({}))).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(seen).toEqual(['handshake:the-secret', 'verify:the-secret']);
  });

  it('refuses a provider it was not given with NotFoundError, before reading the connection or decrypting', async () => {
    const seen: string[] = [];
    const decrypted: string[] = [];
    for (const provider of ['github', 'toString', '__proto__']) {
      await expect(
        receive(seen, decrypted)(provider, input({ 'x-challenge': 'abc' })),
      ).rejects.toBeInstanceOf(NotFoundError);
    }
    expect(seen).toEqual([]);
    expect(decrypted).toEqual([]);
  });
});

/** A provider whose deliveries are accepted as they come, each normalised to a canonical event. */
const accepting: WebhookPart = {
  verify: async () => undefined,
  deliveryId: (d) => String(d.headers['x-id']),
  normalise: (d, id) => canonicalEvent(d, 'plain', id, { type: 'custom.ping', data: { ok: true } }),
  docs: { summary: 'plain', setup: '', headers: ['x-id'] },
};

function plainReceiver(opts: {
  storeRaw: (t: string, c: string, b: string) => Promise<unknown>;
  published: string[];
}) {
  return makeReceiveWebhook({
    webhooks: { plain: accepting },
    connections: { findWebhookRoute: async () => ({ ...route, provider: 'plain' as never }) },
    cipher: { encrypt: async () => 'x', decrypt: async () => 'the-secret' },
    deliveries: {
      publishOnce: async (key: string, event: { id: string }, admit?: () => Promise<void>) => {
        await admit?.();
        opts.published.push(key);
        return { eventId: event.id, duplicate: false };
      },
    } as never,
    tenants: { get: async () => ({ id: route.orgId, status: 'active', plan: 'free' }) as never },
    usage: { consumeRate: async () => ({ allowed: true }), meter: async () => {} } as never,
    storeRaw: opts.storeRaw,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    secretCacheSeconds: 0,
  });
}

describe('the raw delivery, kept before the delivery is acknowledged', () => {
  it('stores the body as received under the org and connection, with the hash the event names, before publishing', async () => {
    const stored: [string, string, string][] = [];
    const published: string[] = [];
    const body = '{"a": 1,  "spaced":true}';
    const accepted = await plainReceiver({
      storeRaw: async (t, c, b) => {
        expect(published).toEqual([]);
        stored.push([t, c, b]);
        return makeStoreRawDelivery({ put: async () => ({ key: 'k', bytes: 0, sha256: '' }) })(t, c, b);
      },
      published,
    })('plain', { ...input({ 'x-id': 'd-7' }), body });
    expect(accepted).toMatchObject({ ignored: false, duplicate: false });
    expect(stored).toEqual([[route.orgId, CON, body]]);
    expect(published).toEqual([`${CON}:d-7`]);
  });

  it('fails the delivery (so the provider retries) and publishes nothing when the raw copy cannot be stored', async () => {
    const published: string[] = [];
    const failure = new Error('S3 unavailable');
    await expect(
      plainReceiver({
        storeRaw: async () => {
          throw failure;
        },
        published,
      })('plain', input({ 'x-id': 'd-8' })),
    ).rejects.toBe(failure);
    expect(published).toEqual([]);
  });

  it('stores nothing and publishes nothing for a delivery past the allowance', async () => {
    const stored: string[] = [];
    const published: string[] = [];
    const refusing = makeReceiveWebhook({
      webhooks: { plain: accepting },
      connections: { findWebhookRoute: async () => ({ ...route, provider: 'plain' as never }) },
      cipher: { encrypt: async () => 'x', decrypt: async () => 'the-secret' },
      deliveries: {
        publishOnce: async (key: string, _e: unknown, admit?: () => Promise<void>) => {
          await admit?.();
          published.push(key);
          return { eventId: 'e', duplicate: false };
        },
      },
      tenants: { get: async () => ({ id: route.orgId, status: 'active', plan: 'free' }) as never },
      usage: {
        consumeRate: async () => ({ allowed: false, retryAfterSeconds: 60 }),
        meter: async () => {},
      } as never,
      storeRaw: async (_t, _c, b) => stored.push(b),
      clock: { now: () => new Date('2026-01-01T00:00:00Z') },
      secretCacheSeconds: 0,
    });
    await expect(refusing('plain', input({ 'x-id': 'd-10' }))).rejects.toThrow('webhook events a day');
    expect(stored).toEqual([]);
    expect(published).toEqual([]);
  });

  it('stores nothing for a delivery its module ignores', async () => {
    const stored: string[] = [];
    const ignoring = makeReceiveWebhook({
      webhooks: { plain: { ...accepting, normalise: () => null } },
      connections: { findWebhookRoute: async () => ({ ...route, provider: 'plain' as never }) },
      cipher: { encrypt: async () => 'x', decrypt: async () => 'the-secret' },
      deliveries: {
        publishOnce: async (_k: string, _e: unknown, admit?: () => Promise<void>) => {
          await admit?.();
          return { eventId: 'e', duplicate: false };
        },
      },
      tenants: { get: async () => ({ id: route.orgId, status: 'active', plan: 'free' }) as never },
      usage: { consumeRate: async () => ({ allowed: true }), meter: async () => {} } as never,
      storeRaw: async (_t, _c, b) => stored.push(b),
      clock: { now: () => new Date('2026-01-01T00:00:00Z') },
      secretCacheSeconds: 0,
    });
    expect(await ignoring('plain', input({ 'x-id': 'd-9' }))).toEqual({ orgId: route.orgId, ignored: true });
    expect(stored).toEqual([]);
  });
});

describe("the hub's own writes coming back, recognised at the endpoint", () => {
  const HUB = 'hub-app[bot]';
  /** A delivery normalised to an event of `type` whose canonical actor is `login`. */
  const acting: WebhookPart = {
    verify: async () => undefined,
    deliveryId: (d) => String(d.headers['x-id']),
    normalise: (d, id) => ({
      ...canonicalEvent(d, 'plain', id, { type: 'custom.ping', data: {} }),
      type: String(d.headers['x-type']),
      data: { actor: { id: '1', login: String(d.headers['x-actor']), name: 'x' } },
    }),
    docs: { summary: 'plain', setup: '', headers: [] },
  };
  // As the sync part reads its events: the actor's login, and only a bot can be the hub.
  const actors = {
    plain: {
      actorOf: (e: { data: Record<string, unknown> }) => (e.data.actor as { login: string }).login,
      couldBeHub: (a: string) => a.endsWith('[bot]'),
    },
  };

  function receiver(hubActor: string | null) {
    const spent: string[] = [];
    const published: Record<string, unknown>[] = [];
    const receive = makeReceiveWebhook({
      webhooks: { plain: acting },
      actors: actors as never,
      connections: { findWebhookRoute: async () => ({ ...route, provider: 'plain' as never, hubActor }) },
      cipher: { encrypt: async () => 'x', decrypt: async () => 'the-secret' },
      deliveries: {
        publishOnce: async (_key: string, event: Record<string, unknown>, admit?: () => Promise<void>) => {
          await admit?.();
          published.push(event);
          return { eventId: String(event.id), duplicate: false };
        },
      } as never,
      tenants: { get: async () => ({ id: route.orgId, status: 'active', plan: 'free' }) as never },
      usage: {
        consumeRate: async () => {
          spent.push('allowance');
          return { allowed: true };
        },
        meter: async () => void spent.push('meter'),
      } as never,
      storeRaw: async () => 'sha',
      clock: { now: () => new Date('2026-01-01T00:00:00Z') },
      secretCacheSeconds: 0,
    });
    const send = (actor: string, type = 'work_item.updated') =>
      receive('plain', input({ 'x-id': `${actor}-${type}`, 'x-actor': actor, 'x-type': type }));
    return { send, spent, published };
  }

  it('publishes an echo marked as one (so the sync rule drops it): within the allowance, not metered', async () => {
    const { send, spent, published } = receiver(HUB);
    expect(await send(HUB)).toMatchObject({ ignored: false, duplicate: false });
    expect(await send(HUB, 'comment.created')).toMatchObject({ ignored: false });
    expect(published.map((e) => e.echo)).toEqual([true, true]);
    // The actor is the sender's to claim: an echo still spends the allowance, so claiming to be
    // the hub is no way past it; only the usage meter leaves the hub's own writes out.
    expect(spent).toEqual(['allowance', 'allowance']);
  });

  it("keeps a person's change on the same connection unmarked, counted and metered", async () => {
    const { send, spent, published } = receiver(HUB);
    await send('octocat');
    expect(published).toHaveLength(1);
    expect(published[0]).not.toHaveProperty('echo');
    expect(spent).toEqual(['allowance', 'meter']);
  });

  it('marks nothing the sync engine would not call its own change', async () => {
    // Not a bot (the engine's couldBeHub), a pull request (the engine does not drop those as echoes),
    // and a connection whose hub identity is not recorded (never learnt, or cleared with new credentials).
    for (const [hub, actor, type] of [
      ['octocat', 'octocat', 'work_item.updated'],
      [HUB, HUB, 'pull_request.merged'],
      [null, HUB, 'work_item.updated'],
    ] as const) {
      const { send, spent, published } = receiver(hub);
      await send(actor, type);
      expect({ hub, type, echo: published[0]?.echo }).toEqual({ hub, type, echo: undefined });
      expect(spent).toEqual(['allowance', 'meter']);
    }
  });
});
