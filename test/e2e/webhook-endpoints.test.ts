import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
}, 240_000);
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await hub?.stop();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start();
  receivers.push(r);
  return r;
}

let slugs = 0;
/** An org with a generic connection, to send events through as a provider would. */
async function orgWithSource(name: string) {
  const slug = `wh-${name}-${Date.now().toString(36)}-${slugs++}`;
  const org = (await admin('POST', '/v1/orgs', { name, slug })).json as { id: string };
  const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'src' }))
    .json as { webhookUrl: string; webhookSecret: string };
  const send = async (type: string, data: Record<string, unknown> = {}) => {
    const body = JSON.stringify({ type, data });
    const res = await client(hub, '')('POST', con.webhookUrl, body, signedHeaders(con.webhookSecret, body));
    expect(res.status).toBe(202);
    return String(res.json.eventId);
  };
  return { orgId: org.id, send };
}

async function endpoint(orgId: string, r: WebhookReceiver, extra: Record<string, unknown> = {}) {
  const res = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints`, { url: r.url, ...extra });
  expect(res.status).toBe(201);
  const created = res.json as { id: string; secret: string };
  r.secrets.push(created.secret);
  return created;
}

describe('outbound webhook endpoints', () => {
  it('delivers a provider event once, signed as Standard Webhooks says, to an endpoint whose filter matches', async () => {
    const { orgId, send } = await orgWithSource('once');
    const r = await receiver();
    const ep = await endpoint(orgId, r, { eventTypes: ['custom.deploy.*'] });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    expect((await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}`)).json).not.toHaveProperty('secret');

    await send('other.thing');
    const eventId = await send('deploy.done', { env: 'prod' });
    await r.until((got) => got.length >= 1);
    const [got] = r.received;
    expect(got?.verifiedWith).toEqual([0]);
    expect(got?.id).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(JSON.parse(String(got?.body))).toMatchObject({ id: eventId, type: 'custom.deploy.done', data: { env: 'prod' } });

    const message = await eventually(async () => {
      const m = (await admin('GET', `/v1/orgs/${orgId}/messages/${got?.id}`)).json as {
        status: string;
        history: { status: string; statusCode: number }[];
      };
      return m.status === 'delivered' ? m : undefined;
    });
    expect(message.history).toEqual([expect.objectContaining({ status: 'succeeded', statusCode: 200 })]);
    // Nothing else was sent: the other event matched no filter.
    const endpointAfter = (await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}`)).json;
    expect(endpointAfter).toHaveProperty('lastSuccessAt');
    expect(r.received).toHaveLength(1);
  }, 60_000);
});
