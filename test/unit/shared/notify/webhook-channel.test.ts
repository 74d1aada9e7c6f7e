import { once } from 'node:events';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { EgressPolicy } from '../../../../shared/egress';
import {
  customerEndpointPolicy,
  destinationRefusal,
  makeEgressFetch,
  parseAllowedRange,
} from '../../../../shared/egress';
import { makeDeliver } from '../../../../shared/notify/delivery/deliver';
import type { DeliveryChannel } from '../../../../shared/notify/delivery/ports';
import type { DeliveryMessage } from '../../../../shared/notify/model';
import type { StoredEndpoint } from '../../../../shared/notify/webhooks/endpoint';
import { createEndpointSchema, newSigningSecret } from '../../../../shared/notify/webhooks/endpoint';
import type { WebhookEndpointStore } from '../../../../shared/notify/webhooks/endpoint-store';
import { signatureHeaders } from '../../../../shared/notify/webhooks/signing';
import {
  ATTEMPT_TIMEOUT_MS,
  EXCERPT_BYTES,
  makeWebhookChannel,
} from '../../../../shared/notify/webhooks/webhook-channel';
import { aCanonicalEvent } from '../../../support/builders';

describe('signing', () => {
  it('signs so that standardwebhooks verifies with each secret of a rotation, unchanged', () => {
    const [oldSecret, newSecret] = [newSigningSecret(), newSigningSecret()];
    const body = JSON.stringify({ hello: 'world' });
    const headers = signatureHeaders(
      [newSecret, oldSecret],
      'msg_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE',
      new Date(),
      body,
    );
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(new Webhook(newSecret).verify(body, headers)).toEqual({ hello: 'world' });
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual({ hello: 'world' });
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(newSecret).verify(`${body} `, headers)).toThrow();
  });
});

describe('the webhook channel', () => {
  let server: Server;
  let url = '';
  const answers: { status: number; headers?: Record<string, string>; body?: string }[] = [];
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        const a = answers.shift() ?? { status: 200 };
        res.writeHead(a.status, a.headers);
        res.end(a.body ?? '');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const secret = newSigningSecret();
  const orgId = 'org_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE';
  const endpointId = 'ep_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE';
  const endpoint = (): StoredEndpoint => ({
    id: endpointId,
    orgId,
    url,
    eventTypes: ['*'],
    enabled: true,
    rateLimitPerSecond: 20,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    version: 1,
    secrets: [{ ciphertext: `sealed:${secret}` }],
  });
  const store = (): WebhookEndpointStore => ({
    get: async () => endpoint(),
    create: async () => undefined,
    list: async () => [endpoint()],
    saveSettings: async () => true,
    disable: async () => true,
    markWarned: async () => true,
    delete: async () => true,
    markSucceeded: async () => undefined,
    markFailing: async () => true,
  });
  const channel = makeWebhookChannel({
    endpoints: store(),
    // Stands in for KMS: the context must be the endpoint's own.
    cipher: {
      encrypt: async (p) => `sealed:${p}`,
      decrypt: async (c, context) => {
        if (context.endpointId !== endpointId || context.orgId !== orgId) throw new Error('wrong context');
        return c.slice('sealed:'.length);
      },
    },
    fetch: makeEgressFetch({ policy: { allowLoopback: true, allowedRanges: [] } }),
    dueIndex: { add: async () => undefined },
    audit: { append: async () => undefined },
    clock: { now: () => new Date() },
  });
  const message: DeliveryMessage & { target: { channel: 'webhook'; endpointId: string } } = {
    orgId,
    id: 'msg_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE',
    eventId: 'evt_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE',
    eventType: 'custom.deploy.done',
    target: { channel: 'webhook', endpointId },
    status: 'pending',
    attempts: 0,
    createdAt: '2026-12-01T00:00:00.000Z',
  };
  const event = aCanonicalEvent({ tenantId: orgId, type: 'custom.deploy.done' });

  it('POSTs the canonical event, signed, with the message id as webhook-id, and keeps at most 1 KiB of the answer', async () => {
    answers.push({ status: 204 }, { status: 200, body: 'x'.repeat(5_000) });
    expect(await channel.send(message, event)).toMatchObject({ ok: true, statusCode: 204 });
    const [got] = seen.splice(0);
    expect(got?.headers['webhook-id']).toBe(message.id);
    expect(got?.headers['content-type']).toBe('application/json');
    // The canonical event, with the payload's version beside it for receivers to read.
    expect(JSON.parse(String(got?.body))).toEqual({ ...event, version: 1 });
    expect(new Webhook(secret).verify(String(got?.body), got?.headers as Record<string, string>)).toEqual({
      ...event,
      version: 1,
    });
    const long = await channel.send(message, event);
    expect(long.ok && long.responseExcerpt?.length).toBe(EXCERPT_BYTES);
    seen.splice(0);
  });

  it('reports a 410 as gone, a 429 with its Retry-After, and a 500 as a failure to retry', async () => {
    answers.push(
      { status: 410 },
      { status: 429, headers: { 'retry-after': '120' } },
      { status: 503, headers: { 'retry-after': 'never' } },
      { status: 500, body: 'boom' },
    );
    expect(await channel.send(message, event)).toMatchObject({
      ok: false,
      statusCode: 410,
      permanent: 'gone',
    });
    expect(await channel.send(message, event)).toMatchObject({
      ok: false,
      statusCode: 429,
      retryAfterSeconds: 120,
    });
    const unreadable = await channel.send(message, event);
    expect(unreadable).toMatchObject({ ok: false, statusCode: 503 });
    expect(unreadable).not.toHaveProperty('retryAfterSeconds');
    const failed = await channel.send(message, event);
    expect(failed).toMatchObject({ ok: false, statusCode: 500, error: 'HTTP 500', responseExcerpt: 'boom' });
    expect(failed).not.toHaveProperty('permanent');
    seen.splice(0);
  });

  it('reports a refused connection without throwing, and names no secret', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const closed = makeWebhookChannel({
      endpoints: { ...store(), get: async () => ({ ...endpoint(), url: `http://127.0.0.1:${port}/hook` }) },
      cipher: { encrypt: async (p) => p, decrypt: async (c) => c.slice('sealed:'.length) },
      fetch: makeEgressFetch({ policy: { allowLoopback: true, allowedRanges: [] } }),
      dueIndex: { add: async () => undefined },
      audit: { append: async () => undefined },
      clock: { now: () => new Date() },
    });
    const outcome = await closed.send(message, event);
    expect(outcome).toMatchObject({ ok: false, error: 'connection refused' });
    expect(JSON.stringify(outcome)).not.toContain(secret.slice(6));
  });

  it('ends an attempt after 15 s as a timeout, which the delivery engine retries 5 s later', async () => {
    const asked: number[] = [];
    const timers: AbortController[] = [];
    let started!: () => void;
    const inFlight = new Promise<void>((r) => {
      started = r;
    });
    const hanging = makeWebhookChannel({
      endpoints: store(),
      cipher: { encrypt: async (p) => p, decrypt: async (c) => c.slice('sealed:'.length) },
      // An endpoint that never answers: the request ends only when its signal does.
      fetch: ((_url: string, init: RequestInit) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          started();
        })) as never,
      dueIndex: { add: async () => undefined },
      audit: { append: async () => undefined },
      clock: { now: () => new Date() },
      // The 15 s made to pass at once: the timer is the test's to fire.
      timeoutSignal: (ms) => {
        asked.push(ms);
        const timer = new AbortController();
        timers.push(timer);
        return timer.signal;
      },
    });
    const now = new Date('2026-12-01T12:00:00Z');
    const saved: DeliveryMessage[] = [];
    const queued: { body: string; delaySeconds?: number }[] = [];
    const deliver = makeDeliver({
      store: {
        getMessage: async () => message,
        getEvent: async () => event,
        consumeRate: async () => true,
        saveMessage: async (next: DeliveryMessage) => {
          saved.push(next);
          return true;
        },
      } as never,
      channels: { webhook: hanging as DeliveryChannel<never> },
      queues: {
        send: async (_q: string, body: string, o: { delaySeconds?: number }) =>
          void queued.push({ body, ...o }),
      } as never,
      dueIndex: { add: async () => undefined },
      clock: { now: () => now },
      random: () => 0.5,
    });
    const attempt = deliver({ orgId, messageId: message.id, attempt: 0 });
    await inFlight;
    expect(asked).toEqual([ATTEMPT_TIMEOUT_MS]);
    expect(ATTEMPT_TIMEOUT_MS).toBe(15_000);
    timers[0]?.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    expect(await attempt).toBe('scheduled');
    expect(saved).toEqual([
      expect.objectContaining({
        status: 'scheduled',
        attempts: 1,
        reason: 'timeout',
        nextAttemptAt: new Date(now.getTime() + 5_000).toISOString(),
      }),
    ]);
    expect(queued).toEqual([
      expect.objectContaining({ delaySeconds: 5, body: expect.stringContaining(message.id) }),
    ]);
  });

  it("refuses a customer's endpoint whose host resolves into a range the operator opened for its providers", async () => {
    const operator: EgressPolicy = {
      allowLoopback: false,
      allowedRanges: [parseAllowedRange('10.20.0.0/16')],
    };
    const customer = customerEndpointPolicy(operator);
    expect(customer.allowedRanges).toEqual([]);
    // A provider connection's URL may still go there; a webhook endpoint's may not, by name or by address.
    expect(destinationRefusal('https://10.20.1.5/api', operator)).toBeUndefined();
    expect(createEndpointSchema(operator).safeParse({ url: 'https://10.20.1.5/hook' }).success).toBe(false);
    let resolved = 0;
    const guarded = makeWebhookChannel({
      endpoints: {
        ...store(),
        get: async () => ({ ...endpoint(), url: 'https://hooks.customer.example/in' }),
      },
      cipher: { encrypt: async (p) => p, decrypt: async (c) => c.slice('sealed:'.length) },
      fetch: makeEgressFetch({
        policy: customer,
        // The customer's DNS points its name into the operator's range: refused before any packet.
        resolve: async () => {
          resolved++;
          return [{ address: '10.20.1.5', family: 4 }];
        },
      }),
      dueIndex: { add: async () => undefined },
      audit: { append: async () => undefined },
      clock: { now: () => new Date() },
    });
    const outcome = await guarded.send(message, event);
    expect(resolved).toBeGreaterThan(0);
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^refused by the egress guard: .*private/),
    });
  });
});
