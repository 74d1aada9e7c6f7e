import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess;
const receivers = [new WebhookReceiver(), new WebhookReceiver()];

beforeAll(async () => {
  // Its own runtime: the drill kills a function's environment, which no other file should feel.
  hub = await startRuntime({ own: true });
  await Promise.all(receivers.map((r) => r.start()));
}, 240_000);
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await hub?.stop();
});

const EVENTS = 20;

describe('fault drill: the delivery worker killed mid-batch', () => {
  it('delivers every event exactly once per endpoint as the receivers observe it (de-duplicated by webhook-id)', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Drill', slug: `drill-${Date.now().toString(36)}` }))
      .json as {
      id: string;
    };
    const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'src' }))
      .json as {
      webhookUrl: string;
      webhookSecret: string;
    };
    const endpointIds: string[] = [];
    for (const r of receivers) {
      const ep = (await admin('POST', `/v1/orgs/${org.id}/webhook-endpoints`, { url: r.url })).json as {
        id: string;
        secret: string;
      };
      r.secrets.push(ep.secret);
      // Slow answers keep a batch's attempts in flight when the worker is killed.
      r.delayMs = 400;
      endpointIds.push(ep.id);
    }
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const body = JSON.stringify({ type: 'drill.tick', data: { i } });
      const res = await client(hub, '')('POST', con.webhookUrl, body, signedHeaders(con.webhookSecret, body));
      expect(res.status).toBe(202);
      eventIds.push(String(res.json.eventId));
    }

    // Mid-batch: deliveries have reached the receivers and their answers are still on the way.
    await receivers[0]?.until((got) => got.length >= 3, 120_000);
    const restart = await client(hub, '')('POST', '/_local/functions/deliverNotifications/restart');
    expect(restart.status).toBe(200);
    expect(Number(restart.json.inFlight)).toBeGreaterThan(0);

    for (const r of receivers) await r.until(() => r.uniqueVerified().size >= EVENTS, 120_000);
    const observed = receivers.map((r) => {
      const unique = [...r.uniqueVerified().values()];
      return {
        unique: unique.length,
        events: unique.map((d) => JSON.parse(d.body).id as string).sort(),
        unverified: r.received.filter((d) => d.verifiedWith.length === 0).length,
        duplicates: r.received.length - unique.length,
      };
    });
    for (const o of observed) {
      expect(o).toMatchObject({ unique: EVENTS, events: [...eventIds].sort(), unverified: 0 });
    }
    // Each message ends delivered, once recorded, whatever the receivers saw twice.
    const messageIds = receivers.flatMap((r) => [...r.uniqueVerified().keys()]);
    expect(new Set(messageIds).size).toBe(EVENTS * receivers.length);
    for (const id of messageIds) {
      const m = await eventually(async () => {
        const got = (await admin('GET', `/v1/orgs/${org.id}/messages/${id}`)).json as {
          status: string;
          history: { status: string }[];
        };
        return got.status === 'delivered' ? got : undefined;
      }, 30_000);
      expect(m.history.filter((a) => a.status === 'succeeded')).toHaveLength(1);
    }
    // Nothing more arrives once all is delivered: a short settle, then the counts stand.
    const total = receivers.map((r) => r.received.length);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receivers.map((r) => r.received.length)).toEqual(total);
    process.stdout.write(
      `fault drill: ${EVENTS} events × ${receivers.length} endpoints; received ${total.join(' + ')}, unique ${observed
        .map((o) => o.unique)
        .join(
          ' + ',
        )}, duplicates ${observed.map((o) => o.duplicates).join(' + ')}, in flight when killed ${restart.json.inFlight}\n`,
    );
  }, 400_000);
});
