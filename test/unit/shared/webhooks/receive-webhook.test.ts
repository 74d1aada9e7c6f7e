import type { WebhookRoute } from '../../../../shared/connectors/connection';
import type { WebhookPart } from '../../../../shared/connectors/provider-module';
import { NotFoundError, UnauthenticatedError } from '../../../../shared/errors';
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
      previous: async () => null,
      publishOnce: async () => ({ eventId: 'evt_1', duplicate: false }),
    } as never,
    tenants: { get: async () => null },
    usage: { consumeRate: async () => ({ allowed: true }), meter: async () => {} } as never,
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
