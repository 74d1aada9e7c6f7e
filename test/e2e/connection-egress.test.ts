import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../lib/local/free-port';
import type { FakeJira } from '../fakes/jira';
import { startFakeJira } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, startRuntime } from '../support/runtime-process';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
/** What a hostile server writes into its answers; it must reach no caller, lastError or audit record. */
const MARKER = 'MARKER-7f3a-server-text';

let hub: RuntimeProcess;
let jira: FakeJira;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  jira = await startFakeJira({ email: 'bot@acme.test', apiToken: 'atlassian-token' });
  hub = await startRuntime({ workers: false });
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await hub?.stop();
  await jira?.stop();
});

/** A loopback server that records each request's path and Authorization, and answers with `handle`. */
async function recording(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { path: string; authorization: string | undefined }[] = [];
  const server = await listenOnLoopback(
    createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => handle(req, res));
    }),
  );
  stops.push(server.stop);
  return { url: server.endpoint, seen };
}

const hostile = (status: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message: `${MARKER} secret-looking text`, errorMessages: [MARKER] }));
};

async function connection(slug: string, provider: 'github' | 'jira', baseUrl: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const con = (
    await admin('POST', `/v1/orgs/${org.id}/connections`, { provider, name: provider, config: { baseUrl } })
  ).json as { id: string };
  return { admin, path: `/v1/orgs/${org.id}/connections/${con.id}`, orgId: org.id };
}

describe('credentials are bound to the server they were entered for', () => {
  it('clears them when the base URL changes, so the next call sends the old token nowhere', async () => {
    const { admin, path, orgId } = await connection('egress-rebind', 'jira', jira.url);
    await admin('PUT', `${path}/credentials`, {
      kind: 'jira_api_token',
      email: 'bot@acme.test',
      apiToken: 'atlassian-token',
    });
    expect((await admin('POST', `${path}/test`)).json).toMatchObject({ ok: true });

    const other = await recording((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const patched = await admin('PATCH', path, { config: { baseUrl: other.url } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      status: 'needs_attention',
      credentials: null,
      lastError: { message: expect.stringContaining('base URL changed') },
    });

    const tested = await admin('POST', `${path}/test`);
    expect(tested.status).toBe(409);
    expect(other.seen).toEqual([]);
    expect((await admin('GET', path)).json).toMatchObject({ status: 'needs_attention', credentials: null });

    const trail = await admin('GET', `/v1/orgs/${orgId}/audit-events?action=connection.updated`);
    expect(trail.json.items).toEqual([
      expect.objectContaining({
        after: expect.objectContaining({
          baseUrl: other.url,
          credentialsCleared: true,
          status: 'needs_attention',
        }),
      }),
    ]);
    expect(trail.text).toContain('base URL changed');
    expect(trail.text).not.toContain('atlassian-token');

    // A rename alone keeps them.
    await admin('PUT', `${path}/credentials`, {
      kind: 'jira_api_token',
      email: 'bot@acme.test',
      apiToken: 'x',
    });
    expect((await admin('PATCH', path, { name: 'renamed' })).json.credentials).toMatchObject({
      kind: 'jira_api_token',
    });
  });
});

describe('what a provider answers reaches callers only as its status and a hub-written message', () => {
  it.each([
    ['github', 401, 'ProviderAuthError'],
    ['github', 500, 'ProviderUnavailableError'],
    ['jira', 401, 'ProviderAuthError'],
    ['jira', 500, 'ProviderUnavailableError'],
  ] as const)('%s answering %i with its own text', async (provider, status, kind) => {
    const server = await recording(hostile(status));
    const { admin, path, orgId } = await connection(`egress-${provider}-${status}`, provider, server.url);
    await admin(
      'PUT',
      `${path}/credentials`,
      provider === 'github'
        ? { kind: 'github_app', appId: '12345', installationId: 777, privateKey: pem }
        : { kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 'atlassian-token' },
    );
    const tested = await admin('POST', `${path}/test`);
    expect(tested.json).toMatchObject({ ok: false, kind, error: expect.stringContaining(`HTTP ${status}`) });
    expect(server.seen.length).toBeGreaterThan(0);
    expect(tested.text).not.toContain(MARKER);
    expect((await admin('GET', path)).text).not.toContain(MARKER);
    const trail = await admin('GET', `/v1/orgs/${orgId}/audit-events`);
    expect((trail.json.items as unknown[]).length).toBeGreaterThan(0);
    expect(trail.text).not.toContain(MARKER);
  });
});

describe('the egress guard in the functions', () => {
  it.each(['github', 'jira'] as const)(
    'does not follow %s redirecting to another server, which sees nothing',
    async (provider) => {
      const elsewhere = await recording(hostile(200));
      const redirecting = await recording((req, res) => {
        res.writeHead(307, { location: `${elsewhere.url}${req.url ?? '/'}` });
        res.end();
      });
      const { admin, path } = await connection(`egress-redirect-${provider}`, provider, redirecting.url);
      await admin(
        'PUT',
        `${path}/credentials`,
        provider === 'github'
          ? { kind: 'github_app', appId: '12345', installationId: 777, privateKey: pem }
          : { kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 'atlassian-token' },
      );
      const tested = await admin('POST', `${path}/test`);
      expect(tested.json).toMatchObject({ ok: false, kind: 'EgressRefusedError' });
      expect(redirecting.seen.length).toBe(1);
      expect(elsewhere.seen).toEqual([]);
    },
  );
});
