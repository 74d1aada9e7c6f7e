import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { WebSocket } from 'undici';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { signedHeaders } from '../support/webhooks';

/**
 * The real-time API on the local runtime, as a client uses it: a WebSocket on the hub's port,
 * authenticated like the HTTP API, pushing the org's events (published through a generic webhook).
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

let hub: RuntimeProcess;
const sockets: WebSocket[] = [];

interface Org {
  id: string;
  owner: string;
  viewer: string;
  webhook: { webhookSecret: string; webhookUrl: string };
}
let a: Org;
let b: Org;

async function makeOrg(slug: string): Promise<Org> {
  const admin = client(hub);
  const id = String((await admin('POST', '/v1/orgs', { name: slug, slug })).json.id);
  const owner = String(
    (await admin('POST', `/v1/orgs/${id}/api-keys`, { name: 'owner', role: 'owner' })).json.key,
  );
  const asOwner = client(hub, owner);
  const viewer = String(
    (await asOwner('POST', `/v1/orgs/${id}/api-keys`, { name: 'viewer', role: 'viewer' })).json.key,
  );
  const webhook = (await asOwner('POST', `/v1/orgs/${id}/connections`, { provider: 'generic', name: 'ci' }))
    .json as Org['webhook'];
  return { id, owner, viewer, webhook };
}

/** Publishes an event through the org's generic webhook; answers the marker its data carries. */
async function publish(org: Org, type: string): Promise<string> {
  const marker = `m-${randomBytes(6).toString('hex')}`;
  const body = JSON.stringify({ type, data: { marker } });
  const res = await fetch(`${hub.url}${org.webhook.webhookUrl}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedHeaders(org.webhook.webhookSecret, body) },
    body,
  });
  expect(res.status).toBe(202);
  return marker;
}

/** A connected client: every message it got, and a way to await the next that matches. */
interface Client {
  readonly received: Json[];
  next(match: (m: Json) => boolean, ms?: number): Promise<Json>;
  send(message: unknown): void;
  /** A ping answered: every message the hub sent before it has arrived. */
  roundTrip(): Promise<void>;
  readonly ws: WebSocket;
}

function connect(token: string, orgId: string, via: 'header' | 'subprotocol' = 'header'): Promise<Client> {
  const url = `${hub.url.replace('http:', 'ws:')}/v1/realtime?orgId=${orgId}`;
  const ws =
    via === 'header'
      ? new WebSocket(url, { protocols: ['hub.v1'], headers: { authorization: `Bearer ${token}` } })
      : new WebSocket(url, ['hub.v1', `hub.bearer.${token}`]);
  sockets.push(ws);
  const received: Json[] = [];
  const waiters: { match: (m: Json) => boolean; resolve: (m: Json) => void }[] = [];
  ws.addEventListener('message', (e) => {
    const message = JSON.parse(String(e.data)) as Json;
    received.push(message);
    for (const w of [...waiters]) {
      if (w.match(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  });
  const next = (match: (m: Json) => boolean, ms = 20_000) => {
    const seen = received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${ms} ms`)), ms);
      waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  };
  const c: Client = {
    received,
    next,
    ws,
    send: (m) => ws.send(JSON.stringify(m)),
    roundTrip: async () => {
      const before = received.filter((m) => m.type === 'pong').length;
      ws.send(JSON.stringify({ action: 'ping' }));
      await next(() => received.filter((m) => m.type === 'pong').length > before);
    },
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(c));
    ws.addEventListener('error', () => reject(new Error('the upgrade was refused')));
  });
}

async function subscribed(token: string, orgId: string, types: string[]): Promise<Client> {
  const c = await connect(token, orgId);
  c.send({ action: 'subscribe', types });
  await c.next((m) => m.type === 'subscribed');
  return c;
}

const eventWith = (marker: string) => (m: Json) => m.type === 'event' && m.event?.data?.marker === marker;
const markersOf = (c: Client) =>
  c.received.filter((m) => m.type === 'event').map((m) => String(m.event?.data?.marker));

/** The raw upgrade: what the hub answers before any WebSocket exists. */
function upgrade(
  headers: Record<string, string>,
  orgId = a.id,
): Promise<{ status: number; headers: Json; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}/v1/realtime?orgId=${orgId}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: 101, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  hub = await startRuntime();
  [a, b] = await Promise.all([makeOrg('realtime-a'), makeOrg('realtime-b')]);
}, 180_000);

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await hub?.stop();
});

describe('real-time events over WebSocket', () => {
  it("pushes an org's events to its viewers, and none of another org's", async () => {
    const [inA, inB] = await Promise.all([
      subscribed(a.viewer, a.id, ['*']),
      subscribed(b.viewer, b.id, ['*']),
    ]);
    const fromB = await publish(b, 'custom.build.started');
    const fromA = await publish(a, 'custom.build.started');
    const got = await inA.next(eventWith(fromA));
    expect(got.event).toMatchObject({ tenantId: a.id, type: 'custom.build.started' });
    expect(got.event.id).toMatch(/^evt_/);
    await inB.next(eventWith(fromB));
    // B's event was pushed (its client has it); anything pushed to A's client then has arrived too.
    await inA.roundTrip();
    expect(markersOf(inA)).not.toContain(fromB);
    expect(markersOf(inB)).not.toContain(fromA);
  });

  it('pushes only the subscribed types', async () => {
    const deploys = await subscribed(a.viewer, a.id, ['custom.deploy.*']);
    const everything = await subscribed(a.viewer, a.id, ['*']);
    const build = await publish(a, 'custom.build.started');
    const deploy = await publish(a, 'custom.deploy.finished');
    await deploys.next(eventWith(deploy));
    await everything.next(eventWith(build));
    await deploys.roundTrip();
    expect(markersOf(deploys)).toEqual([deploy]);
  });

  it('accepts the token offered as a subprotocol (browsers), answering hub.v1 and never the token', async () => {
    const res = await upgrade({ 'Sec-WebSocket-Protocol': `hub.v1, hub.bearer.${a.viewer}` });
    expect(res.status).toBe(101);
    expect(res.headers['sec-websocket-protocol']).toBe('hub.v1');
    const browser = await connect(a.viewer, a.id, 'subprotocol');
    browser.send({ action: 'subscribe', types: ['custom.*'] });
    expect(await browser.next((m) => m.type === 'subscribed')).toEqual({
      type: 'subscribed',
      orgId: a.id,
      types: ['custom.*'],
    });
  });

  it('refuses a bad or missing credential at the upgrade, as the API does', async () => {
    const bad = await upgrade({ Authorization: 'Bearer not-a-credential' });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body)).toMatchObject({ status: 401, title: 'Authentication is required' });
    expect((await upgrade({})).status).toBe(401);
    // A credential in the query string is not read (query strings get logged).
    const res = await fetch(`${hub.url}/v1/orgs/${a.id}`, {
      headers: { authorization: `Bearer ${a.viewer}` },
    });
    expect(res.status).toBe(200);
    expect((await upgrade({}, `${a.id}&token=${a.viewer}`)).status).toBe(401);
  });

  it('refuses a role without events:read, and a key of another org', async () => {
    const asOwner = client(hub, a.owner);
    const role = (
      await asOwner('POST', `/v1/orgs/${a.id}/roles`, { name: 'org reader', permissions: ['org:read'] })
    ).json;
    const key = String(
      (await asOwner('POST', `/v1/orgs/${a.id}/api-keys`, { name: 'reader', role: role.id })).json.key,
    );
    const refused = await upgrade({ Authorization: `Bearer ${key}` });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).detail).toMatch(/events:read/);
    expect((await upgrade({ Authorization: `Bearer ${b.viewer}` })).status).toBe(403);
    // The refusal is in the caller's trail, as the gate records every refusal.
    const trail = await eventually(async () => {
      const items = (await asOwner('GET', `/v1/orgs/${a.id}/audit-events?limit=20`)).json.items as Json[];
      return items.find((r) => r.outcome === 'denied' && r.action === 'api.listEvents') ?? undefined;
    });
    expect(JSON.stringify(trail)).toContain('GET /v1/orgs/{orgId}/events');
  });

  it('forgets a connection once its client closes it', async () => {
    const endpoint = /dynamodb\s+(http:\/\/\S+)/.exec(hub.output())?.[1];
    if (!endpoint) throw new Error('the runtime did not print its DynamoDB endpoint');
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint, region: localNames.region, credentials: localCredentials }),
    );
    const org = await makeOrg('realtime-close');
    const connections = async () =>
      (
        await db.send(
          new QueryCommand({
            TableName: localNames.table('domain'),
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': `T#${org.id}#WSCONN` },
          }),
        )
      ).Items ?? [];
    const c = await subscribed(org.viewer, org.id, ['*']);
    const [item] = await connections();
    expect(item?.types).toEqual(['*']);
    const lookup = async () =>
      (
        await db.send(
          new QueryCommand({
            TableName: localNames.table('domain'),
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': `P#WSCONN#${String(item?.SK)}` },
          }),
        )
      ).Items ?? [];
    expect(await lookup()).toHaveLength(1);
    c.ws.close();
    await eventually(async () => ((await connections()).length === 0 ? true : undefined));
    expect(await lookup()).toEqual([]);
    db.destroy();
  });

  it('`hub events watch` prints each event as a JSON line', async () => {
    const cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '..', '..', 'bin', 'hub-cli.ts'),
        'events',
        'watch',
        a.id,
        '--type',
        'custom.*',
      ],
      { env: { ...process.env, HUB_URL: hub.url, HUB_TOKEN: a.viewer }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    cli.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    try {
      await eventually(async () => (stderr.includes('subscribed to custom.*') ? true : undefined), 60_000);
      const marker = await publish(a, 'custom.deploy.finished');
      const line = await eventually(async () => stdout.split('\n').find((l) => l.includes(marker)), 20_000);
      expect(JSON.parse(line)).toMatchObject({ tenantId: a.id, type: 'custom.deploy.finished' });
    } finally {
      cli.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 90_000);

  it('`hub events watch` names what is wrong: a bad type pattern, a caller the gate refuses', () => {
    const bad = runCli(hub, ['events', 'watch', a.id, '--type', 'Not A Type'], a.viewer);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--type/);
    const refused = runCli(hub, ['events', 'watch', a.id], b.viewer);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/403 .*events:read/);
    // A pattern naming no type would print nothing, ever.
    const typo = runCli(hub, ['events', 'watch', a.id, '--type', 'nope.*'], a.viewer);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toMatch(/names no event type/);
    // The upgrade's own refusal (an org that does not exist, for the platform's key) is said at once, not retried.
    const gone = runCli(hub, ['events', 'watch', 'org_01M8SXZVA1VJ9BK8CNF7H5XBS0']);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/hub: 40\d /);
    expect(gone.stderr).not.toMatch(/connecting again/);
  });
});
