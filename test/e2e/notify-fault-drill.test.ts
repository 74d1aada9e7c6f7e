import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess;
const receivers = [new WebhookReceiver(), new WebhookReceiver()];
const matcherReceivers = [new WebhookReceiver(), new WebhookReceiver()];

beforeAll(async () => {
  // Its own runtime: the drill kills a function's environment, which no other file should feel.
  hub = await startRuntime({ own: true });
  await Promise.all([...receivers, ...matcherReceivers].map((r) => r.start()));
}, 240_000);
afterAll(async () => {
  await Promise.all([...receivers, ...matcherReceivers].map((r) => r.stop()));
  await hub?.stop();
});

/** An org with a generic connection to publish through and one endpoint per receiver. */
async function drillOrg(name: string, endpointsFor: readonly WebhookReceiver[]) {
  const admin = client(hub);
  const org = (
    await admin('POST', '/v1/orgs', { name, slug: `${name.toLowerCase()}-${Date.now().toString(36)}` })
  ).json as { id: string };
  const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'src' }))
    .json as { webhookUrl: string; webhookSecret: string };
  for (const r of endpointsFor) {
    const ep = (await admin('POST', `/v1/orgs/${org.id}/webhook-endpoints`, { url: r.url })).json as {
      secret: string;
    };
    r.secrets.push(ep.secret);
  }
  const publish = async (i: number) => {
    const body = JSON.stringify({ type: 'drill.tick', data: { i } });
    const res = await client(hub, '')('POST', con.webhookUrl, body, signedHeaders(con.webhookSecret, body));
    expect(res.status).toBe(202);
    return String(res.json.eventId);
  };
  return { admin, org, publish };
}

/**
 * Waits for every event at every receiver, then checks each saw each event once (de-duplicated by
 * webhook-id, every delivery verified), each message ends delivered with one successful attempt,
 * and nothing more arrives after.
 */
async function expectExactlyOnce(
  admin: ReturnType<typeof client>,
  orgId: string,
  group: readonly WebhookReceiver[],
  eventIds: readonly string[],
) {
  for (const r of group) await r.until(() => r.uniqueVerified().size >= eventIds.length, 120_000);
  const observed = group.map((r) => {
    const unique = [...r.uniqueVerified().values()];
    return {
      unique: unique.length,
      events: unique.map((d) => JSON.parse(d.body).id as string).sort(),
      unverified: r.received.filter((d) => d.verifiedWith.length === 0).length,
      duplicates: r.received.length - unique.length,
    };
  });
  for (const o of observed)
    expect(o).toMatchObject({ unique: eventIds.length, events: [...eventIds].sort(), unverified: 0 });
  const messageIds = group.flatMap((r) => [...r.uniqueVerified().keys()]);
  expect(new Set(messageIds).size).toBe(eventIds.length * group.length);
  for (const id of messageIds) {
    const m = await eventually(async () => {
      const got = (await admin('GET', `/v1/orgs/${orgId}/messages/${id}`)).json as {
        status: string;
        history: { status: string }[];
      };
      return got.status === 'delivered' ? got : undefined;
    }, 30_000);
    expect(m.history.filter((a) => a.status === 'succeeded')).toHaveLength(1);
  }
  // Nothing more arrives once all is delivered: a short settle, then the counts stand.
  const total = group.map((r) => r.received.length);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(group.map((r) => r.received.length)).toEqual(total);
  return { total, observed };
}

const EVENTS = 20;

describe('fault drill: the delivery worker killed mid-batch', () => {
  it('delivers every event exactly once per endpoint as the receivers observe it (de-duplicated by webhook-id)', async () => {
    // Slow answers keep a batch's attempts in flight when the worker is killed.
    for (const r of receivers) r.delayMs = 400;
    const { admin, org, publish } = await drillOrg('Drill', receivers);
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) eventIds.push(await publish(i));

    // Mid-batch: deliveries have reached the receivers and their answers are still on the way.
    await receivers[0]?.until((got) => got.length >= 3, 120_000);
    const restart = await client(hub, '')('POST', '/_local/functions/deliverNotifications/restart');
    expect(restart.status).toBe(200);
    expect(Number(restart.json.inFlight)).toBeGreaterThan(0);

    const { total, observed } = await expectExactlyOnce(admin, org.id, receivers, eventIds);
    process.stdout.write(
      `fault drill: ${EVENTS} events × ${receivers.length} endpoints; received ${total.join(' + ')}, unique ${observed
        .map((o) => o.unique)
        .join(
          ' + ',
        )}, duplicates ${observed.map((o) => o.duplicates).join(' + ')}, in flight when killed ${restart.json.inFlight}\n`,
    );
  }, 400_000);
});

describe('fault drill: the matcher killed mid-batch', () => {
  it('still delivers every event exactly once per endpoint as the receivers observe it, counted end to end', async () => {
    const { admin, org, publish } = await drillOrg('Matchdrill', matcherReceivers);
    const eventIds: string[] = [];
    const kills: number[] = [];
    const caught = () => kills.some((n) => n > 0);
    // Published four at a time until a kill has found the matcher mid-batch (matching one takes
    // milliseconds, so it is killed again and again until one does), then a few more after it.
    let next = 0;
    let after = 0;
    const publishing = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < 300 && (!caught() || after++ < 8)) eventIds.push(await publish(next++));
      }),
    );
    await matcherReceivers[0]?.until((got) => got.length >= 1, 120_000);
    while (!caught() && kills.length < 30) {
      const restart = await client(hub, '')('POST', '/_local/functions/matchNotifications/restart');
      expect(restart.status).toBe(200);
      kills.push(Number(restart.json.inFlight));
    }
    await publishing;
    expect(caught()).toBe(true);
    const EVENTS_M = eventIds.length;

    const { total, observed } = await expectExactlyOnce(admin, org.id, matcherReceivers, eventIds);
    process.stdout.write(
      `matcher drill: ${EVENTS_M} events × ${matcherReceivers.length} endpoints; received ${total.join(' + ')}, unique ${observed
        .map((o) => o.unique)
        .join(
          ' + ',
        )}, duplicates ${observed.map((o) => o.duplicates).join(' + ')}, kills ${kills.length} (in flight ${kills.join(', ')})\n`,
    );
  }, 400_000);
});
