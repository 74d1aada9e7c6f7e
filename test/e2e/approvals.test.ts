import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'undici';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';

// biome-ignore lint/suspicious/noExplicitAny: messages and bodies are read as the API sends them
type Json = any;

/**
 * Agent approvals through the local runtime, as an agent and people use them: the agent asks over
 * the API with its key; a person it names answers (the API, the CLI); the decision reaches the
 * agent through its webhook endpoint and the real-time stream; an approval nobody answers expires.
 */
let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
const receivers: WebhookReceiver[] = [];
const sockets: WebSocket[] = [];

interface World {
  orgId: string;
  agentKey: string;
  ada: { id: string; jwt: string };
  bob: { id: string; jwt: string };
  callback: { id: string; receiver: WebhookReceiver };
  filtered: { id: string; receiver: WebhookReceiver };
  /** Asked first, for a minute: it has expired by the last test. */
  expiring: Json;
}
let w: World;

/**
 * The `hub` CLI, run without blocking this process (as `runCli` would): the API client's idle
 * connections the runtime closes meanwhile are seen closed, not reused.
 */
async function cli(args: string[], token?: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(process.cwd(), 'bin', 'hub-cli.ts'), ...args],
      {
        env: {
          ...process.env,
          HUB_URL: hub.url,
          HUB_DATA_DIR: hub.dataDir,
          ...(token ? { HUB_TOKEN: token } : {}),
        },
      },
    );
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { status: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const mint = async (userId: string, orgId: string, role: string) =>
  (await cli(['token', 'mint', '--sub', userId, '--org', orgId, '--role', role])).stdout.trim();

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start();
  receivers.push(r);
  return r;
}

async function endpoint(orgId: string, eventTypes: string[]) {
  const r = await receiver();
  const res = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints`, { url: r.url, eventTypes });
  expect(res.status).toBe(201);
  r.secrets.push(String(res.json.secret));
  return { id: String(res.json.id), receiver: r };
}

/** The types of the approval events a receiver got for one approval, in arrival order, once each. */
const typesFor = (r: WebhookReceiver, approvalId: string) =>
  [...r.uniqueVerified().values()]
    .map((d) => JSON.parse(d.body) as Json)
    .filter((e) => e.data?.approval?.id === approvalId)
    .map((e) => String(e.type));

function subscribe(token: string, orgId: string, types: string[]) {
  const ws = new WebSocket(`${hub.url.replace('http:', 'ws:')}/v1/realtime?orgId=${orgId}`, {
    protocols: ['hub.v1'],
    headers: { authorization: `Bearer ${token}` },
  });
  sockets.push(ws);
  const received: Json[] = [];
  ws.addEventListener('message', (e) => received.push(JSON.parse(String(e.data))));
  return new Promise<{ received: Json[] }>((resolve, reject) => {
    ws.addEventListener('open', () => ws.send(JSON.stringify({ action: 'subscribe', types })));
    ws.addEventListener('error', () => reject(new Error('the upgrade was refused')));
    const check = setInterval(() => {
      if (received.some((m) => m.type === 'subscribed')) {
        clearInterval(check);
        resolve({ received });
      }
    }, 20);
  });
}

const ask = (extra: Record<string, unknown> = {}) => ({
  question: 'Deploy release 1.4 to production?\nThe canary has been green for an hour.',
  options: [
    { id: 'approve', label: 'Approve' },
    { id: 'reject', label: 'Reject' },
  ],
  answerers: { userIds: [w.ada.id] },
  callbackEndpointId: w.callback.id,
  context: { release: '1.4', run: 42 },
  ...extra,
});

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
  const slug = `apr-${Date.now().toString(36)}`;
  const orgId = String((await admin('POST', '/v1/orgs', { name: 'Approvals', slug })).json.id);
  // The agent: an API key of a member (members may ask: approvals:request).
  const agentKey = String(
    (await admin('POST', `/v1/orgs/${orgId}/api-keys`, { name: 'release agent', role: 'member' })).json.key,
  );
  const person = async (name: string, role: string) => {
    const id = String(
      (await admin('POST', `/v1/orgs/${orgId}/users`, { email: `${name}@${slug}.test`, name, role })).json.id,
    );
    return { id, jwt: await mint(id, orgId, role) };
  };
  const [ada, bob] = [await person('Ada', 'admin'), await person('Bob', 'member')];
  const [callback, filtered] = await Promise.all([
    endpoint(orgId, ['custom.unrelated']),
    endpoint(orgId, ['approval.*']),
  ]);
  w = { orgId, agentKey, ada, bob, callback, filtered, expiring: null };
  const expiring = await client(hub, agentKey)('POST', `/v1/orgs/${orgId}/approvals`, ask({ expiresIn: 60 }));
  expect(expiring.status).toBe(201);
  w.expiring = expiring.json;
}, 240_000);
afterAll(async () => {
  for (const ws of sockets) ws.close();
  await Promise.all(receivers.map((r) => r.stop()));
  await hub?.stop();
});

describe('agent approvals', () => {
  it('is asked by an agent, answered by a person it names, and delivered back to the agent', async () => {
    const agent = client(hub, w.agentKey);
    const stream = await subscribe(w.agentKey, w.orgId, ['approval.*']);
    const asked = await agent('POST', `/v1/orgs/${w.orgId}/approvals`, ask());
    expect(asked.status).toBe(201);
    const approval: Json = asked.json;
    expect(approval).toMatchObject({
      status: 'pending',
      requestedBy: { type: 'api_key', name: 'release agent' },
    });
    expect(approval.id).toMatch(/^apr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect((await agent('GET', `/v1/orgs/${w.orgId}/approvals/${approval.id}`)).json.status).toBe('pending');

    // Bob is not among the answerers: refused, and the refusal is in the trail.
    const refused = await client(hub, w.bob.jwt)(
      'POST',
      `/v1/orgs/${w.orgId}/approvals/${approval.id}/answer`,
      { option: 'approve' },
    );
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const trail = await admin(
      'GET',
      `/v1/orgs/${w.orgId}/audit-events?action=approval.answer_refused&outcome=denied`,
    );
    expect(trail.json.items).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ id: w.bob.id }) }),
    ]);

    const answered = await client(hub, w.ada.jwt)(
      'POST',
      `/v1/orgs/${w.orgId}/approvals/${approval.id}/answer`,
      { option: 'approve' },
    );
    expect(answered.status).toBe(200);
    expect(answered.json).toMatchObject({
      status: 'decided',
      decision: { option: 'approve', label: 'Approve', by: { userId: w.ada.id, name: 'Ada' }, via: 'api' },
    });

    // A second answer learns who decided, through what, and when.
    const late = await client(hub, w.ada.jwt)('POST', `/v1/orgs/${w.orgId}/approvals/${approval.id}/answer`, {
      option: 'reject',
    });
    expect(late.status).toBe(409);
    expect(late.json.detail).toMatch(
      /^Already decided by Ada via api at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: Approve$/,
    );
    expect(late.json.decision).toMatchObject({ option: 'approve' });

    // Back to the agent: its callback endpoint (whose filter lists no approval events) and an
    // endpoint filtering approval.* both get the decision, signed; the real-time stream too.
    await w.callback.receiver.until(
      () => typesFor(w.callback.receiver, approval.id).includes('approval.decided'),
      120_000,
    );
    // Ordering is not promised: each once, whichever came first.
    expect(typesFor(w.callback.receiver, approval.id).sort()).toEqual([
      'approval.decided',
      'approval.requested',
    ]);
    await w.filtered.receiver.until(
      () => typesFor(w.filtered.receiver, approval.id).includes('approval.decided'),
      60_000,
    );
    const decided = [...w.callback.receiver.uniqueVerified().values()]
      .map((d) => JSON.parse(d.body) as Json)
      .find((e) => e.type === 'approval.decided' && e.data.approval.id === approval.id);
    expect(decided).toMatchObject({
      source: { provider: 'hub' },
      tenantId: w.orgId,
      data: {
        approval: {
          status: 'decided',
          context: { release: '1.4', run: 42 },
          decision: { by: { name: 'Ada' } },
        },
      },
    });
    await eventually(
      async () =>
        stream.received.some(
          (m) =>
            m.type === 'event' &&
            m.event?.type === 'approval.decided' &&
            m.event.data.approval.id === approval.id,
        )
          ? true
          : undefined,
      60_000,
    );
  }, 240_000);

  it('refuses bad input as problem+json, and a cancel by anyone but the requester or an admin', async () => {
    const agent = client(hub, w.agentKey);
    const bad = await agent(
      'POST',
      `/v1/orgs/${w.orgId}/approvals`,
      ask({ options: [{ id: 'only', label: 'Only' }] }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'options' })]);
    const noChat = await agent(
      'POST',
      `/v1/orgs/${w.orgId}/approvals`,
      ask({
        destination: { kind: 'chat', connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', conversation: 'C1' },
      }),
    );
    expect(noChat.status).toBe(400);
    expect(noChat.json.errors).toEqual([expect.objectContaining({ path: 'destination.connectionId' })]);

    const { id } = (await agent('POST', `/v1/orgs/${w.orgId}/approvals`, ask())).json;
    expect((await client(hub, w.bob.jwt)('POST', `/v1/orgs/${w.orgId}/approvals/${id}/cancel`)).status).toBe(
      403,
    );
    const cancelled = await agent('POST', `/v1/orgs/${w.orgId}/approvals/${id}/cancel`);
    expect(cancelled.json).toMatchObject({
      status: 'cancelled',
      cancelled: { by: { name: 'release agent' } },
    });
    expect(
      (
        await client(hub, w.ada.jwt)('POST', `/v1/orgs/${w.orgId}/approvals/${id}/answer`, {
          option: 'approve',
        })
      ).status,
    ).toBe(409);
    const listed = await agent('GET', `/v1/orgs/${w.orgId}/approvals?status=cancelled`);
    expect((listed.json as Json).items.map((a: Json) => a.id)).toEqual([id]);
  }, 120_000);

  it('is asked and answered from the CLI', async () => {
    const asked = await cli(
      [
        'approvals',
        'request',
        w.orgId,
        '--question',
        'Merge the hotfix?',
        '--option',
        'yes=Merge',
        '--option',
        'no=Wait',
        '--user',
        w.ada.id,
      ],
      w.agentKey,
    );
    expect(asked.stderr).toBe('');
    const { id } = JSON.parse(asked.stdout);
    const answered = await cli(['approvals', 'answer', w.orgId, id, 'yes'], w.ada.jwt);
    expect(JSON.parse(answered.stdout)).toMatchObject({ status: 'decided', decision: { label: 'Merge' } });
    const again = await cli(['approvals', 'answer', w.orgId, id, 'no'], w.ada.jwt);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('Already decided by Ada via api');
    expect(JSON.parse((await cli(['approvals', 'get', w.orgId, id], w.agentKey)).stdout).status).toBe(
      'decided',
    );
  }, 120_000);

  it('reads as expired once its time has passed, and the sweep announces it to the agent', async () => {
    const agent = client(hub, w.agentKey);
    const { id } = w.expiring;
    // Asked for a minute before the other tests: read as expired as soon as its time has passed.
    const expired = await eventually(async () => {
      const got = (await agent('GET', `/v1/orgs/${w.orgId}/approvals/${id}`)).json;
      return got.status === 'expired' ? got : undefined;
    }, 90_000);
    expect(expired.decision).toBeNull();
    expect(
      (
        await client(hub, w.ada.jwt)('POST', `/v1/orgs/${w.orgId}/approvals/${id}/answer`, {
          option: 'approve',
        })
      ).status,
    ).toBe(409);
    // The minute's sweep (run now rather than awaited) expires it for good and announces it.
    expect((await fetch(`${hub.url}/_local/schedules/runDueWork`, { method: 'POST' })).status).toBe(200);
    await w.callback.receiver.until(
      () => typesFor(w.callback.receiver, id).includes('approval.expired'),
      60_000,
    );
    expect(typesFor(w.callback.receiver, id)).toEqual(['approval.requested', 'approval.expired']);
  }, 150_000);
});
