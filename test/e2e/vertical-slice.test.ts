import { routes } from '../../shared/topology';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
});

async function newOrg(slug: string) {
  const res = await client(hub)('POST', '/v1/orgs', { name: `Org ${slug}`, slug });
  expect(res.status).toBe(201);
  return res.json as { id: string; slug: string };
}

async function newConnection(orgId: string) {
  const res = await client(hub)('POST', `/v1/orgs/${orgId}/connections`, { provider: 'generic', name: 'ci' });
  expect(res.status).toBe(201);
  return res.json as { id: string; webhookSecret: string; webhookUrl: string };
}

const listEvents = async (orgId: string) =>
  (await client(hub)('GET', `/v1/orgs/${orgId}/events?limit=100`)).json.items as {
    id: string;
    type: string;
    source: { provider: string };
  }[];

const webhookEvents = async (orgId: string) =>
  (await listEvents(orgId)).filter((e) => e.source.provider === 'generic');
describe('the hub on one machine, over HTTP', () => {
  it('reports every component up on /healthz', async () => {
    const res = await fetch(`${hub.url}/healthz`);
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: {
        status: 'ok',
        components: { dynamodb: 'up', sqs: 'up', eventbridge: 'up', pollers: 'up' },
      },
    });
  });

  it('serves every route of the topology', async () => {
    for (const route of routes) {
      const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) =>
        p === 'orgId' ? 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2' : 'x',
      );
      const res = await client(hub)(route.method, path, route.method === 'GET' ? undefined : {});
      // The `$default` route's answers mean the route is not served.
      expect(String(res.json?.detail ?? '')).not.toMatch(/^No route is /);
      expect(res.status).not.toBe(405);
    }
  });

  it('answers a path it does not have with a problem+json 404, and a method its path lacks with a 405 and Allow', async () => {
    const missing = await client(hub)('GET', '/v1/no-such-thing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.json).toMatchObject({
      status: 404,
      detail: 'No route is GET /v1/no-such-thing; the API is described at GET /v1/openapi.json',
    });
    // No credential is needed to learn that a path does not exist, and none is read.
    const wrongMethod = await client(hub, '')('PUT', '/v1/orgs');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    expect(wrongMethod.json).toMatchObject({ status: 405, allow: ['GET', 'POST'] });
  });

  it('creates an org once per slug, reads it back, and refuses bad input with problem+json', async () => {
    const org = await newOrg('acme');
    const api = client(hub);
    expect((await api('GET', `/v1/orgs/${org.id}`)).json).toMatchObject({
      id: org.id,
      slug: 'acme',
      status: 'active',
    });
    const dup = await api('POST', '/v1/orgs', { name: 'Again', slug: 'acme' });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toBe('application/problem+json');
    const bad = await api('POST', '/v1/orgs', { name: 'x', slug: 'NO SPACES' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'slug' })]);
    expect((await api('GET', '/v1/orgs/org_01JD3Q4ZK8M7X2V9N6B5C4D3E2')).status).toBe(404);
  });

  it('issues an API key once, which then authenticates within its org and role', async () => {
    const org = await newOrg('keys');
    const created = await client(hub)('POST', `/v1/orgs/${org.id}/api-keys`, {
      name: 'reader',
      role: 'viewer',
    });
    expect(created.status).toBe(201);
    const key = String(created.json.key);
    expect(key).toMatch(/^hub_[0-9A-Za-z]{36}$/);
    expect(created.json.display).toBe(`hub_…${key.slice(-4)}`);
    const asViewer = client(hub, key);
    expect((await asViewer('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    expect(
      (await asViewer('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'x' })).status,
    ).toBe(403);
    expect((await asViewer('POST', '/v1/orgs', { name: 'Mine', slug: 'mine' })).status).toBe(403);
  });

  it('refuses missing, malformed and unknown credentials', async () => {
    const org = await newOrg('auth');
    const none = await client(hub, '')('GET', `/v1/orgs/${org.id}`);
    expect(none.status).toBe(401);
    const last = hub.adminKey.slice(-1);
    const typo = await client(hub, `${hub.adminKey.slice(0, -1)}${last === 'x' ? 'y' : 'x'}`)(
      'GET',
      `/v1/orgs/${org.id}`,
    );
    expect(typo.status).toBe(401);
    expect(typo.headers.get('content-type')).toBe('application/problem+json');
    const badJwt = await client(hub, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')(
      'GET',
      `/v1/orgs/${org.id}`,
    );
    expect(badJwt.status).toBe(401);
  });

  it('takes a signed webhook to the bus, the queue, the worker and the event feed, once per webhook-id', async () => {
    const org = await newOrg('hooks');
    const con = await newConnection(org.id);
    expect(con.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const body = JSON.stringify({ type: 'build.finished', data: { build: 42 } });
    const headers = signedHeaders(con.webhookSecret, body, 'msg_e2e_1');
    const first = await client(hub, '')('POST', con.webhookUrl, body, headers);
    expect(first.status).toBe(202);
    const eventId = String(first.json.eventId);
    const stored = await eventually(async () => (await listEvents(org.id)).find((e) => e.id === eventId));
    expect(stored).toMatchObject({ type: 'custom.build.finished', tenantId: org.id, data: { build: 42 } });

    const again = await client(hub, '')(
      'POST',
      con.webhookUrl,
      body,
      signedHeaders(con.webhookSecret, body, 'msg_e2e_1'),
    );
    expect(again.status).toBe(202);
    expect(again.json).toEqual({ eventId, duplicate: true });
    await new Promise((r) => setTimeout(r, 500));
    expect((await listEvents(org.id)).filter((e) => e.id === eventId)).toHaveLength(1);
  });

  it('answers 401, 400 and 404 to bad deliveries, none of which reach the feed', async () => {
    const org = await newOrg('bad-hooks');
    const con = await newConnection(org.id);
    const body = JSON.stringify({ type: 'x.y', data: {} });
    const forged = { ...signedHeaders(con.webhookSecret, body), 'webhook-signature': 'v1,Zm9yZ2Vk' };
    expect((await client(hub, '')('POST', con.webhookUrl, body, forged)).status).toBe(401);
    const unsigned = await client(hub, '')('POST', con.webhookUrl, body);
    expect(unsigned.status).toBe(401);
    const malformed = '{"type":"x.y",';
    expect(
      (await client(hub, '')('POST', con.webhookUrl, malformed, signedHeaders(con.webhookSecret, malformed)))
        .status,
    ).toBe(400);
    // A canonical type must carry that type's data: the problem names what does not fit.
    const unfit = JSON.stringify({ type: 'work_item.created', data: { item: { title: 'No key' } } });
    const refused = await client(hub, '')(
      'POST',
      con.webhookUrl,
      unfit,
      signedHeaders(con.webhookSecret, unfit),
    );
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json).toMatchObject({
      detail: expect.stringContaining('work_item.created'),
      errors: expect.arrayContaining([expect.objectContaining({ path: 'item.key' })]),
    });
    const unknown = '/webhooks/generic/con_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
    expect(
      (await client(hub, '')('POST', unknown, body, signedHeaders(con.webhookSecret, body))).status,
    ).toBe(404);
    await new Promise((r) => setTimeout(r, 500));
    expect(await webhookEvents(org.id)).toEqual([]);
  });

  it('announces new orgs, connections and API keys in the feed, from the table stream, without secrets', async () => {
    const org = await newOrg('announced');
    const con = await newConnection(org.id);
    const key = String(
      (await client(hub)('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'k', role: 'viewer' })).json.key,
    );
    const types = await eventually(async () => {
      const seen = (await listEvents(org.id)).map((e) => e.type).sort();
      return seen.length === 3 ? seen : undefined;
    });
    expect(types).toEqual(['api_key.created', 'connection.created', 'org.created']);
    const feed = JSON.stringify(await listEvents(org.id));
    expect(feed).toContain(con.id);
    expect(feed).not.toContain(con.webhookSecret);
    expect(feed).not.toContain(key);
  });

  it('publishes an OpenAPI 3.1 document with every route of the topology', async () => {
    const res = await client(hub, '')('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    const paths = res.json.paths as Record<string, Record<string, { operationId: string }>>;
    for (const route of routes) {
      expect(paths[route.path]?.[route.method.toLowerCase()]?.operationId).toBe(route.operationId);
    }
  });

  it('works from the hub CLI, including a dev JWT minted for an org member', async () => {
    const created = runCli(hub, ['orgs', 'create', '--name', 'Cli Org', '--slug', 'cli-org']);
    expect(created.stderr).not.toMatch(/hub:/);
    expect(created.status).toBe(0);
    const org = JSON.parse(created.stdout) as { id: string };
    const user = await client(hub)('POST', `/v1/orgs/${org.id}/users`, {
      email: 'cli@cli-org.test',
      name: 'Cli',
      role: 'admin',
    });
    const minted = runCli(hub, [
      'token',
      'mint',
      '--sub',
      String(user.json.id),
      '--org',
      org.id,
      '--role',
      'admin',
    ]);
    expect(minted.status).toBe(0);
    const jwt = minted.stdout.trim();
    expect((await client(hub, jwt)('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    const key = runCli(hub, ['api-keys', 'create', org.id, '--name', 'from-jwt', '--role', 'member'], jwt);
    expect(key.status).toBe(0);
    expect(JSON.parse(key.stdout).key).toMatch(/^hub_/);
    const refused = runCli(hub, ['orgs', 'create', '--name', 'Nope', '--slug', 'nope'], jwt);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/403/);
  });
});
