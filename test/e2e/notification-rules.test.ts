import { sampleEvent } from '../../shared/notify/rules/sample-event';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { signedHeaders } from '../support/webhooks';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
let orgId: string;
let userId: string;
let generic: { id: string; webhookSecret: string; webhookUrl: string };
const suffix = Math.random().toString(36).slice(2, 8);
const rulesOf = (org: string) => `/v1/orgs/${org}/notification-rules`;

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
  orgId = (await admin('POST', '/v1/orgs', { name: 'Rules Co', slug: `rules-${suffix}` })).json.id as string;
  userId = (
    await admin('POST', `/v1/orgs/${orgId}/users`, { email: 'ada@rules.test', name: 'Ada', role: 'member' })
  ).json.id as string;
  generic = (await admin('POST', `/v1/orgs/${orgId}/connections`, { provider: 'generic', name: 'ci' }))
    .json as typeof generic;
});
afterAll(async () => {
  await hub?.stop();
});

const rule = (extra: Json = {}) => ({
  name: 'Merged in web',
  eventTypes: ['pull_request.merged'],
  conditions: { containers: ['acme/web'] },
  destinations: [{ kind: 'email', userIds: [userId], addresses: ['ops@rules.test'] }],
  ...extra,
});

/** Sends a canonical event through the org's generic connection and waits until it is stored. */
async function storedEvent(type: string, data: unknown): Promise<Json> {
  const body = JSON.stringify({ type, data });
  const res = await client(hub, '')('POST', generic.webhookUrl, body, {
    'content-type': 'application/json',
    ...signedHeaders(generic.webhookSecret, body),
  });
  expect(res.status).toBe(202);
  const eventId = String(res.json.eventId);
  return eventually(async () => {
    const page = (await admin('GET', `/v1/orgs/${orgId}/events?limit=100`)).json.items as Json[];
    return page.find((e) => e.id === eventId);
  });
}

describe('notification rules over HTTP', () => {
  it('creates, reads, lists page by page, changes and deletes a rule, each audited', async () => {
    const created = await admin('POST', rulesOf(orgId), rule());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^nrule_/),
      enabled: true,
      description: '',
    });
    const id = created.json.id as string;
    const second = await admin('POST', rulesOf(orgId), rule({ name: 'Second', enabled: false }));
    expect(second.status).toBe(201);

    expect((await admin('GET', `${rulesOf(orgId)}/${id}`)).json).toEqual(created.json);
    const first = await admin('GET', `${rulesOf(orgId)}?limit=1`);
    expect(first.json.items).toHaveLength(1);
    const next = await admin('GET', `${rulesOf(orgId)}?limit=1&cursor=${first.json.nextCursor}`);
    expect(
      [...(first.json.items as Json[]), ...(next.json.items as Json[])].map((r: Json) => r.name).sort(),
    ).toEqual(['Merged in web', 'Second']);

    const changed = await admin('PATCH', `${rulesOf(orgId)}/${id}`, {
      enabled: false,
      conditions: { containers: ['acme/api'], authors: ['octocat'] },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      name: 'Merged in web',
      enabled: false,
      conditions: { containers: ['acme/api'], authors: ['octocat'] },
    });

    expect((await admin('DELETE', `${rulesOf(orgId)}/${id}`)).status).toBe(204);
    expect((await admin('GET', `${rulesOf(orgId)}/${id}`)).status).toBe(404);
    expect((await admin('DELETE', `${rulesOf(orgId)}/${id}`)).status).toBe(404);

    const trail = async (action: string) =>
      (await admin('GET', `/v1/orgs/${orgId}/audit-events?action=${action}`)).json.items as Json[];
    expect((await trail('notification_rule.created')).map((a) => a.targets[0].id)).toEqual(
      expect.arrayContaining([id, second.json.id]),
    );
    expect(await trail('notification_rule.updated')).toEqual([
      expect.objectContaining({
        targets: [{ type: 'notification_rule', id }],
        before: expect.objectContaining({ enabled: true }),
        after: expect.objectContaining({ enabled: false }),
      }),
    ]);
    expect(await trail('notification_rule.deleted')).toEqual([
      expect.objectContaining({ targets: [{ type: 'notification_rule', id }] }),
    ]);
  });

  it('refuses a rule naming a missing destination or an unknown field, with the reason', async () => {
    const missingEndpoint = 'ep_01M8F79P3R3K1638C8KPHEN332';
    const endpoint = await admin(
      'POST',
      rulesOf(orgId),
      rule({ destinations: [{ kind: 'webhook_endpoint', endpointId: missingEndpoint }] }),
    );
    expect(endpoint.status).toBe(400);
    expect(endpoint.headers.get('content-type')).toContain('application/problem+json');
    expect(endpoint.json.errors).toEqual([
      {
        path: 'destinations.0.endpointId',
        message: `no webhook endpoint ${missingEndpoint} in this organisation`,
      },
    ]);
    const missingUser = 'usr_01M8F79P3R3K1638C8KPHEN332';
    const user = await admin(
      'POST',
      rulesOf(orgId),
      rule({ destinations: [{ kind: 'email', userIds: [missingUser] }] }),
    );
    expect(user.status).toBe(400);
    expect(user.json.errors).toEqual([
      { path: 'destinations.0.userIds.0', message: `no user ${missingUser} in this organisation` },
    ]);

    const unknown = await admin('POST', rulesOf(orgId), rule({ conditions: { repository: ['acme/web'] } }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual([
      { path: 'conditions', message: expect.stringContaining('"repository"') },
    ]);
    const top = await admin('POST', rulesOf(orgId), { ...rule(), channel: 'slack' });
    expect(top.status).toBe(400);
    expect(top.json.errors).toEqual([{ path: '(body)', message: expect.stringContaining('"channel"') }]);

    const never = await admin('POST', rulesOf(orgId), rule({ conditions: { labels: ['bug'] } }));
    expect(never.status).toBe(400);
    expect(never.json.errors).toEqual([
      { path: 'conditions.labels', message: expect.stringContaining('could never match') },
    ]);
    // None of the refused rules was kept.
    const kept = (await admin('GET', `${rulesOf(orgId)}?limit=100`)).json.items as Json[];
    expect(kept.map((r) => r.destinations[0].kind)).not.toContain('webhook_endpoint');
  });

  it('holds an org to its plan’s number of rules with a 429, and gives a place back on delete', async () => {
    const free = (
      await admin('POST', '/v1/orgs', { name: 'Free Rules', slug: `rules-free-${suffix}`, plan: 'free' })
    ).json.id as string;
    const small = {
      name: 'r',
      eventTypes: ['push'],
      destinations: [{ kind: 'email', addresses: ['a@rules.test'] }],
    };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await admin('POST', rulesOf(free), { ...small, name: `r${i}` });
      expect(res.status).toBe(201);
      ids.push(res.json.id as string);
    }
    const over = await admin('POST', rulesOf(free), small);
    expect(over.status).toBe(429);
    expect(over.json.detail).toContain('10 notification rules');
    expect((await admin('DELETE', `${rulesOf(free)}/${ids[0]}`)).status).toBe(204);
    expect((await admin('POST', rulesOf(free), small)).status).toBe(201);
  });

  it('tries a rule on a sample and on stored events (one too big for the bus read whole), sending nothing', async () => {
    const created = await admin('POST', rulesOf(orgId), rule({ name: 'Tried', enabled: false }));
    const id = created.json.id as string;
    const tried = await admin('POST', `${rulesOf(orgId)}/${id}/test`, { sample: 'pull_request.merged' });
    expect(tried.status).toBe(200);
    expect(tried.json).toMatchObject({
      enabled: false,
      matched: true,
      reasons: [],
      event: {
        type: 'pull_request.merged',
        tenantId: orgId,
        data: { pullRequest: { container: 'acme/web' } },
      },
    });
    expect(tried.json.deliveries).toEqual([
      expect.objectContaining({ destination: rule().destinations[0], rendered: expect.any(Array) }),
    ]);
    const unknownSample = await admin('POST', `${rulesOf(orgId)}/${id}/test`, {
      sample: 'pull_request.exploded',
    });
    expect(unknownSample.status).toBe(400);
    const neither = await admin('POST', `${rulesOf(orgId)}/${id}/test`, {});
    expect(neither.status).toBe(400);

    // A work item rule, tried on events the org received through its generic connection.
    const items = await admin('POST', rulesOf(orgId), {
      name: 'Incidents',
      eventTypes: ['work_item.*'],
      conditions: { labels: ['incident'], providers: ['generic'] },
      destinations: [{ kind: 'email', addresses: ['oncall@rules.test'] }],
    });
    expect(items.status).toBe(201);
    const data = (labels: string[], description = 'short') => {
      const d = sampleEvent(orgId, 'work_item.updated', {}, new Date()).data as Json;
      return { ...d, item: { ...d.item, labels, description } };
    };
    const plain = await storedEvent('work_item.updated', data(['chore']));
    const miss = await admin('POST', `${rulesOf(orgId)}/${items.json.id}/test`, { eventId: plain.id });
    expect(miss.json).toMatchObject({
      matched: false,
      reasons: ["labels: the item's labels (chore) include none of incident"],
      deliveries: [],
    });
    const big = await storedEvent('work_item.updated', data(['incident'], 'x'.repeat(300_000)));
    expect(big.claim).toBeDefined();
    const hit = await admin('POST', `${rulesOf(orgId)}/${items.json.id}/test`, { eventId: big.id });
    expect(hit.json).toMatchObject({ matched: true, reasons: [], event: { id: big.id } });
    expect((hit.json as Json).event.data.item.description).toHaveLength(300_000);
    const missing = await admin('POST', `${rulesOf(orgId)}/${items.json.id}/test`, {
      eventId: 'evt_01M8F79P3R3K1638C8KPHEN332',
    });
    expect(missing.status).toBe(404);
  });
});

describe('notification rules from the CLI', () => {
  it('creates a rule from flags, lists, reads, changes, tries and deletes it', async () => {
    const cli = (...args: string[]) => {
      const out = runCli(hub, ['notification-rules', ...args]);
      expect({ status: out.status, stderr: out.stderr }).toEqual({ status: 0, stderr: '' });
      return out.stdout ? (JSON.parse(out.stdout) as Json) : null;
    };
    const created = cli(
      'create',
      orgId,
      '--name',
      'From the CLI',
      '--event-type',
      'work_item.*',
      '--event-type',
      'comment.created',
      '--project',
      'OPS',
      '--label',
      'incident',
      '--status',
      'todo',
      '--email-user',
      userId,
      '--email-address',
      'oncall@rules.test',
    ) as Json;
    expect(created).toMatchObject({
      name: 'From the CLI',
      eventTypes: ['work_item.*', 'comment.created'],
      conditions: { containers: ['OPS'], labels: ['incident'], statusCategories: ['todo'] },
      destinations: [{ kind: 'email', userIds: [userId], addresses: ['oncall@rules.test'] }],
    });
    expect((cli('list', orgId, '--limit', '100') as Json).items.map((r: Json) => r.id)).toContain(created.id);
    expect(cli('get', orgId, created.id)).toEqual(created);
    expect(cli('update', orgId, created.id, '--disabled')).toMatchObject({
      enabled: false,
      name: 'From the CLI',
    });
    expect(cli('test', orgId, created.id, '--sample', 'work_item.created')).toMatchObject({ matched: true });
    cli('delete', orgId, created.id);
    const gone = runCli(hub, ['notification-rules', 'get', orgId, created.id]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('404');

    const refused = runCli(hub, [
      'notification-rules',
      'create',
      orgId,
      '--name',
      'x',
      '--event-type',
      'push',
      '--endpoint',
      'ep_01M8F79P3R3K1638C8KPHEN332',
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('destinations.0.endpointId');
  });
});
