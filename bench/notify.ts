import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listenOnLoopback } from '../lib/local/free-port';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client } from '../test/support/runtime-process';
import { signedHeaders } from '../test/support/webhooks';
import type { Summary } from './stats';
import { summarise } from './stats';

const EVENTS = Number(process.env.BENCH_NOTIFY_N ?? 200);
const RATE_PER_SECOND = Number(process.env.BENCH_NOTIFY_RATE ?? 10);
const FAN_OUT = Number(process.env.BENCH_NOTIFY_FANOUT ?? 1000);
const BURST = Number(process.env.BENCH_NOTIFY_BURST ?? 300);

type Json = Record<string, unknown>;

/**
 * A customer's receiver on loopback: verifies every delivery with the `standardwebhooks` library
 * (as a customer would), de-duplicates by `webhook-id`, and notes when each event first arrived.
 */
async function startReceiver() {
  const secrets = new Map<string, Webhook>();
  const arrivals = new Map<string, (at: number) => void>();
  // An event can arrive before its publisher has even read the 202 (a loaded client): kept here.
  const arrived = new Map<string, number>();
  const seen = new Set<string>();
  let refused = 0;
  let received = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const endpoint = (req.url ?? '').split('/').pop() ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      const hook = secrets.get(endpoint);
      try {
        if (!hook) throw new Error('unknown endpoint');
        hook.verify(body, headersOf(req.headers));
      } catch {
        refused += 1;
        res.writeHead(400).end();
        return;
      }
      res.writeHead(204).end();
      const id = String(req.headers['webhook-id']);
      if (seen.has(`${endpoint}/${id}`)) return;
      seen.add(`${endpoint}/${id}`);
      received += 1;
      // The publisher's sequence number, in the event's data: the key an arrival is awaited by.
      const key = String(((JSON.parse(body) as Json).data as Json | undefined)?.n ?? '');
      arrived.set(`${endpoint}/${key}`, at);
      arrivals.get(`${endpoint}/${key}`)?.(at);
    });
  });
  server.keepAliveTimeout = 60_000;
  const { endpoint: url } = await listenOnLoopback(server);
  return {
    url,
    secrets,
    /** Resolves with the time the event first reached the endpoint. */
    awaitArrival(endpoint: string, key: string, timeoutMs = 60_000): Promise<number> {
      const already = arrived.get(`${endpoint}/${key}`);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        arrivals.set(`${endpoint}/${key}`, resolve);
        setTimeout(
          () => reject(new Error(`event ${key} did not reach ${endpoint} in ${timeoutMs} ms`)),
          timeoutMs,
        ).unref();
      });
    },
    counts: () => ({ received, refused }),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const headersOf = (h: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));

async function awsCalls(hub: RuntimeProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${hub.url}/_local/aws-calls`)).json()) as Record<string, number>;
}

/**
 * Outbound webhooks: event on the bus → endpoint received (p50/p99), one event fanned out to many
 * endpoints (time to the last delivery), deliveries per second through the delivery worker, and
 * the AWS calls each delivery costs.
 */
export async function measureNotify(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
): Promise<void> {
  const admin = client(hub);
  const receiver = await startReceiver();
  try {
    const org = (
      await admin('POST', '/v1/orgs', { name: 'Notify bench', slug: 'bench-notify', plan: 'enterprise' })
    ).json as { id: string };
    const con = (
      await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'notify bench' })
    ).json as { webhookUrl: string; webhookSecret: string };
    const hook = client(hub, '');
    let seq = 0;
    /** Publishes one event through the generic webhook; resolves once it is on the bus (the 202). */
    const publish = async (type: string) => {
      const key = String(seq);
      const body = JSON.stringify({ type, data: { n: seq } });
      const res = await hook(
        'POST',
        con.webhookUrl,
        body,
        signedHeaders(con.webhookSecret, body, `notify_${seq++}`),
      );
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${res.text}`);
      return { key, onBus: performance.now() };
    };
    const addEndpoint = async (name: string, eventTypes: string[]) => {
      const res = await admin('POST', `/v1/orgs/${org.id}/webhook-endpoints`, {
        url: `${receiver.url}/ep/${name}`,
        eventTypes,
        description: `bench ${name}`,
        rateLimitPerSecond: 1000,
      });
      if (res.status !== 201) throw new Error(`creating an endpoint answered ${res.status}: ${res.text}`);
      const endpoint = res.json as { id: string; secret: string };
      receiver.secrets.set(name, new Webhook(endpoint.secret));
      return endpoint.id;
    };

    // One endpoint for the latency and cost figures; a type only it takes (a generic sender's own
    // types arrive as `custom.<type>`).
    const singleId = await addEndpoint('single', ['custom.bench.single']);
    const once = async () => {
      const sent = await publish('bench.single');
      const at = await receiver.awaitArrival('single', sent.key);
      return at - sent.onBus;
    };
    for (let i = 0; i < 10; i++) await once(); // warm the path; not timed
    const before = await awsCalls(hub);
    const pending: Promise<number>[] = [];
    for (let i = 0; i < EVENTS; i++) {
      pending.push(once());
      await new Promise((r) => setTimeout(r, 1000 / RATE_PER_SECOND));
    }
    const latencies = await Promise.all(pending);
    const after = await awsCalls(hub);
    report(`event on the bus → webhook endpoint received (${RATE_PER_SECOND}/s)`, summarise(latencies));
    const perDelivery = (k: string) => ((after[k] ?? 0) - (before[k] ?? 0)) / EVENTS;
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (k) => perDelivery(k) > 0,
    );
    const total = keys.reduce((n, k) => n + perDelivery(k), 0);
    lines.push(
      `AWS calls per delivered event (ingress included), ${total.toFixed(2)} in all:`,
      ...keys.map((k) => `    ${k.padEnd(40)}${perDelivery(k).toFixed(2).padStart(8)}`),
    );

    // Throughput: a burst to the one endpoint, through the delivery worker.
    const burstStart = performance.now();
    await Promise.all(
      Array.from({ length: BURST }, async () => {
        const sent = await publish('bench.single');
        await receiver.awaitArrival('single', sent.key, 120_000);
      }),
    );
    const burstSeconds = (performance.now() - burstStart) / 1000;
    lines.push(
      `burst of ${BURST} events to one endpoint: ${(BURST / burstSeconds).toFixed(1)} deliveries/s (${burstSeconds.toFixed(1)} s)`,
    );

    // Fan-out: one event to many endpoints (the plan's 1,000 at most: the first one makes room).
    await admin('DELETE', `/v1/orgs/${org.id}/webhook-endpoints/${singleId}`);
    const names = Array.from({ length: FAN_OUT }, (_, i) => `fan${i}`);
    for (let i = 0; i < names.length; i += 20)
      await Promise.all(names.slice(i, i + 20).map((n) => addEndpoint(n, ['custom.bench.fanout'])));
    // The matcher reads an org's endpoints at most every few seconds: let it see the new ones.
    await new Promise((r) => setTimeout(r, 6_000));
    const sent = await publish('bench.fanout');
    const arrivals = await Promise.all(names.map((n) => receiver.awaitArrival(n, sent.key, 180_000)));
    const last = Math.max(...arrivals) - sent.onBus;
    const fanOut = summarise(arrivals.map((a) => a - sent.onBus));
    report(`one event → ${FAN_OUT} endpoints (each endpoint's arrival)`, fanOut);
    lines.push(
      `one event fanned out to ${FAN_OUT} endpoints: last delivery ${(last / 1000).toFixed(2)} s after the bus`,
      `receiver: ${receiver.counts().received} deliveries verified with standardwebhooks, ${receiver.counts().refused} refused`,
    );
  } finally {
    await receiver.stop();
  }
}
