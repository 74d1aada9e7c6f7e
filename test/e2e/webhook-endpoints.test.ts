import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
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
    expect((await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}`)).json).not.toHaveProperty(
      'secret',
    );

    await send('other.thing');
    const eventId = await send('deploy.done', { env: 'prod' });
    // The first delivery of the run may wait for the notify functions' cold starts on a loaded machine.
    await r.until((got) => got.length >= 1, 120_000);
    const [got] = r.received;
    expect(got?.verifiedWith).toEqual([0]);
    expect(got?.id).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(JSON.parse(String(got?.body))).toMatchObject({
      id: eventId,
      type: 'custom.deploy.done',
      data: { env: 'prod' },
    });

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
  }, 180_000);

  it('delivers to a rules-only endpoint what a notification rule sends it, and nothing else', async () => {
    const { orgId, send } = await orgWithSource('rules');
    const r = await receiver();
    const ep = await endpoint(orgId, r, { eventTypes: [] });
    const rule = await admin('POST', `/v1/orgs/${orgId}/notification-rules`, {
      name: 'Deploys to the receiver',
      eventTypes: ['custom.deploy.*'],
      destinations: [{ kind: 'webhook_endpoint', endpointId: ep.id }],
    });
    expect(rule.status).toBe(201);
    await send('other.thing');
    const eventId = await send('deploy.done');
    await r.until((got) => got.length >= 1, 60_000);
    expect(JSON.parse(String(r.received[0]?.body))).toMatchObject({
      id: eventId,
      type: 'custom.deploy.done',
    });
    expect(r.received[0]?.verifiedWith).toEqual([0]);
    await eventually(async () =>
      (await admin('GET', `/v1/orgs/${orgId}/messages/${r.received[0]?.id}`)).json.status === 'delivered'
        ? true
        : undefined,
    );
    expect(r.received).toHaveLength(1);
  }, 90_000);

  it('retries a 500 on the schedule and delivers on the retry, the attempts listed newest first', async () => {
    const { orgId, send } = await orgWithSource('retry');
    const r = await receiver();
    const ep = await endpoint(orgId, r);
    r.answer(500);
    await send('build.finished');
    await r.until((got) => got.length >= 2);
    const [first, second] = r.received;
    expect(first?.answered).toBe(500);
    expect(second?.answered).toBe(200);
    // Stable across retries, so the receiver de-duplicates.
    expect(second?.id).toBe(first?.id);
    // The first retry waits 5 s ±20 %.
    expect(Number(second?.timestamp) - Number(first?.timestamp)).toBeGreaterThanOrEqual(3);

    const attempts = await eventually(async () => {
      const page = (await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/attempts`)).json as {
        items: { status: string; statusCode: number; messageId: string; responseExcerpt?: string }[];
      };
      return page.items.length === 2 ? page.items : undefined;
    });
    expect(attempts.map((a) => [a.status, a.statusCode])).toEqual([
      ['succeeded', 200],
      ['failed', 500],
    ]);
    expect(attempts[1]?.responseExcerpt).toBe('answered 500');
    const failed = (await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/attempts?status=failed`))
      .json;
    expect(failed.items).toEqual([expect.objectContaining({ statusCode: 500, messageId: first?.id })]);
    const message = (await admin('GET', `/v1/orgs/${orgId}/messages/${first?.id}`)).json;
    expect(message).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(
      (await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/attempts?status=maybe`)).status,
    ).toBe(400);
  }, 60_000);

  it('disables an endpoint that answers 410 at once, audited, and recovers its failed messages once it is enabled again', async () => {
    const { orgId, send } = await orgWithSource('gone');
    const r = await receiver();
    const ep = await endpoint(orgId, r);
    const since = new Date(Date.now() - 1_000).toISOString();
    r.answer(410);
    await send('release.published');
    const disabled = await eventually(async () => {
      const e = (await admin('GET', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}`)).json;
      return e.enabled === false ? e : undefined;
    });
    expect(disabled.disabledReason).toMatch(/410/);
    const audit = (await admin('GET', `/v1/orgs/${orgId}/audit-events?action=webhook_endpoint.disabled`))
      .json as {
      items: { targets: { id: string }[] }[];
    };
    expect(audit.items).toEqual([
      expect.objectContaining({ targets: [{ type: 'webhook_endpoint', id: ep.id }] }),
    ]);
    const goneId = r.received[0]?.id;
    expect((await admin('GET', `/v1/orgs/${orgId}/messages/${goneId}`)).json.status).toBe('failed');
    // Disabled: recovering is refused until it is enabled again.
    expect(
      (await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/recover`, { since })).status,
    ).toBe(409);

    const enabled = await admin('PATCH', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}`, { enabled: true });
    expect(enabled.json).toMatchObject({ enabled: true });
    expect(enabled.json).not.toHaveProperty('disabledReason');
    const recovered = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/recover`, { since });
    expect(recovered).toMatchObject({ status: 202, json: { queued: 1 } });
    await r.until((got) => got.length >= 2);
    expect(r.received[1]).toMatchObject({ id: goneId, answered: 200 });
    await eventually(async () =>
      (await admin('GET', `/v1/orgs/${orgId}/messages/${goneId}`)).json.status === 'delivered'
        ? true
        : undefined,
    );
    expect(
      (await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/recover`, { since: 'yesterday' }))
        .status,
    ).toBe(400);
  }, 60_000);

  it('resends a delivered message as a new attempt with the same webhook-id', async () => {
    const { orgId, send } = await orgWithSource('resend');
    const r = await receiver();
    await endpoint(orgId, r);
    await send('deploy.done');
    await r.until((got) => got.length >= 1);
    const id = String(r.received[0]?.id);
    await eventually(async () =>
      (await admin('GET', `/v1/orgs/${orgId}/messages/${id}`)).json.status === 'delivered' ? true : undefined,
    );
    const resent = await admin('POST', `/v1/orgs/${orgId}/messages/${id}/resend`);
    expect(resent.status).toBe(202);
    await r.until((got) => got.length >= 2);
    expect(r.received[1]?.id).toBe(id);
    const message = await eventually(async () => {
      const m = (await admin('GET', `/v1/orgs/${orgId}/messages/${id}`)).json as {
        status: string;
        history: { manual?: boolean }[];
      };
      return m.status === 'delivered' && m.history.length === 2 ? m : undefined;
    });
    expect(message.history[0]).toMatchObject({ manual: true });
    expect(
      (await admin('POST', `/v1/orgs/${orgId}/messages/msg_00000000000000000000000000/resend`)).status,
    ).toBe(404);
  }, 60_000);

  it('refuses no delivery while the secret is rotated mid-stream: both secrets sign through the overlap', async () => {
    const { orgId, send } = await orgWithSource('rotate');
    const r = await receiver();
    const ep = await endpoint(orgId, r);
    for (let i = 0; i < 5; i++) await send('tick.before', { i });
    const rotated = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    const next = String(rotated.json.secret);
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(ep.secret);
    expect(rotated.json.previousSecretExpiresAt).toBeDefined();
    // The receiver takes the new secret at once; it may still be handed deliveries signed before.
    r.secrets.push(next);
    for (let i = 0; i < 5; i++) await send('tick.after', { i });
    await r.until((got) => got.length >= 10);
    expect(r.received.filter((g) => g.verifiedWith.length === 0)).toEqual([]);
    const after = r.received.filter((g) => JSON.parse(g.body).type === 'custom.tick.after');
    // During the overlap each delivery carries both signatures: either secret alone verifies it.
    for (const g of after) expect(g.verifiedWith).toEqual([0, 1]);
    expect(r.received.every((g) => g.answered === 200)).toBe(true);
    expect(
      (
        await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints/${ep.id}/rotate-secret`, {
          overlapSeconds: -1,
        })
      ).status,
    ).toBe(400);
  }, 60_000);

  it('refuses an endpoint URL the egress guard would never call, and one too long', async () => {
    const { orgId } = await orgWithSource('bad');
    for (const url of [
      'ftp://example.com/hook',
      'http://10.0.0.1/hook',
      `https://example.com/${'a'.repeat(2100)}`,
    ]) {
      const res = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints`, { url });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
    const badPattern = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints`, {
      url: 'https://example.com/hook',
      eventTypes: ['Not A Type'],
    });
    expect(badPattern.status).toBe(400);
  }, 30_000);

  it('is driven from the CLI: the secret printed once on create and rotate, attempts, resend and recover', async () => {
    const { orgId, send } = await orgWithSource('cli');
    const r = await receiver();
    const created = runCli(hub, [
      'webhook-endpoints',
      'create',
      orgId,
      '--endpoint-url',
      r.url,
      '--event-type',
      'custom.*',
      '--rate-limit',
      '5',
    ]);
    expect(created.status).toBe(0);
    const ep = JSON.parse(created.stdout) as {
      id: string;
      secret: string;
      eventTypes: string[];
      rateLimitPerSecond: number;
    };
    expect(ep).toMatchObject({
      eventTypes: ['custom.*'],
      rateLimitPerSecond: 5,
      secret: expect.stringMatching(/^whsec_/),
    });
    r.secrets.push(ep.secret);
    const listed = runCli(hub, ['webhook-endpoints', 'list', orgId]);
    expect(listed.stdout).toContain(ep.id);
    expect(listed.stdout).not.toContain('whsec_');
    await send('deploy.done');
    await r.until((got) => got.length >= 1);
    const id = String(r.received[0]?.id);
    await eventually(async () =>
      JSON.parse(runCli(hub, ['messages', 'get', orgId, id]).stdout).status === 'delivered'
        ? true
        : undefined,
    );
    expect(runCli(hub, ['messages', 'resend', orgId, id]).status).toBe(0);
    await r.until((got) => got.length >= 2);
    const attempts = JSON.parse(
      runCli(hub, ['webhook-endpoints', 'attempts', orgId, ep.id, '--status', 'succeeded', '--limit', '10'])
        .stdout,
    ) as { items: unknown[] };
    expect(attempts.items.length).toBeGreaterThanOrEqual(1);
    const rotated = JSON.parse(
      runCli(hub, ['webhook-endpoints', 'rotate-secret', orgId, ep.id, '--overlap', '0']).stdout,
    );
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(ep.secret);
    const recovered = runCli(hub, [
      'webhook-endpoints',
      'recover',
      orgId,
      ep.id,
      '--since',
      // Within the 30 days a recovery reaches back.
      new Date(Date.now() - 86_400_000).toISOString(),
    ]);
    expect(JSON.parse(recovered.stdout)).toEqual({ queued: 0 });
    expect(runCli(hub, ['webhook-endpoints', 'recover', orgId, ep.id, '--since', 'later']).status).not.toBe(
      0,
    );
    const disabled = runCli(hub, [
      'webhook-endpoints',
      'update',
      orgId,
      ep.id,
      '--enabled',
      'false',
      '--rules-only',
    ]);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ enabled: false, eventTypes: [] });
    expect(runCli(hub, ['webhook-endpoints', 'delete', orgId, ep.id]).status).toBe(0);
    expect(runCli(hub, ['webhook-endpoints', 'get', orgId, ep.id]).status).not.toBe(0);
  }, 90_000);
});
