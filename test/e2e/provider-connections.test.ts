import { generateKeyPairSync } from 'node:crypto';
import type { FakeGithub } from '../fakes/github';
import { startFakeGithub } from '../fakes/github';
import type { FakeJira } from '../fakes/jira';
import { JIRA_BOT_ACCOUNT_ID, startFakeJira } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, startRuntime } from '../support/runtime-process';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

let hub: RuntimeProcess;
let github: FakeGithub;
let jira: FakeJira;
beforeAll(async () => {
  github = await startFakeGithub({ appId: '12345', publicKey, installationId: 777 });
  jira = await startFakeJira({ email: 'bot@acme.test', apiToken: 'atlassian-token' });
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
  await github?.stop();
  await jira?.stop();
});

async function connection(slug: string, provider: 'github' | 'jira', baseUrl: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const con = (
    await admin('POST', `/v1/orgs/${org.id}/connections`, { provider, name: provider, config: { baseUrl } })
  ).json as { id: string };
  return { admin, path: `/v1/orgs/${org.id}/connections/${con.id}`, orgId: org.id };
}

describe('provider credentials and the dry call', () => {
  it('authenticates as a GitHub App installation on the configured server, and marks refused credentials', async () => {
    const { admin, path } = await connection('gh-test', 'github', github.url);
    expect((await admin('POST', `${path}/test`)).status).toBe(409);
    const wrongKind = await admin('PUT', `${path}/credentials`, {
      kind: 'jira_api_token',
      email: 'a@b.test',
      apiToken: 'x',
    });
    expect(wrongKind.status).toBe(400);
    const set = await admin('PUT', `${path}/credentials`, {
      kind: 'github_app',
      appId: '12345',
      installationId: 777,
      privateKey: pem,
    });
    expect(set.status).toBe(200);
    expect(set.json.credentials).toMatchObject({ kind: 'github_app', appId: '12345', installationId: 777 });
    expect(set.text).not.toContain('PRIVATE KEY');
    expect((await admin('GET', path)).text).not.toContain('PRIVATE KEY');

    const ok = await admin('POST', `${path}/test`);
    expect(ok.json).toMatchObject({ ok: true, details: { repositories: 0 } });
    expect(github.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'POST /app/installations/777/access_tokens 201',
      'GET /installation/repositories 200',
    ]);

    // The app is uninstalled: GitHub refuses its token and its JWT.
    github.setRevoked(true);
    const refused = await admin('POST', `${path}/test`);
    github.setRevoked(false);
    expect(refused.json).toMatchObject({ ok: false, kind: 'ProviderAuthError' });
    expect(refused.json.connection).toMatchObject({
      status: 'needs_attention',
      lastError: { message: expect.stringContaining('401') },
    });
    // Fixed on GitHub's side: the next test succeeds and the connection is active again.
    const again = await admin('POST', `${path}/test`);
    expect(again.json).toMatchObject({ ok: true, connection: { status: 'active', lastError: null } });

    github.failNext(502);
    const down = await admin('POST', `${path}/test`);
    expect(down.json).toMatchObject({
      ok: false,
      kind: 'ProviderUnavailableError',
      connection: { status: 'active' },
    });
  });

  it("calls a Jira site with an API token through jira.js, whose schemas check the fake's answers", async () => {
    const { admin, path, orgId } = await connection('jira-test', 'jira', jira.url);
    await admin('PUT', `${path}/credentials`, {
      kind: 'jira_api_token',
      email: 'bot@acme.test',
      apiToken: 'atlassian-token',
    });
    const ok = await admin('POST', `${path}/test`);
    expect(ok.json).toMatchObject({
      ok: true,
      details: { accountId: JIRA_BOT_ACCOUNT_ID, displayName: 'Hub Bot' },
    });

    await admin('PUT', `${path}/credentials`, {
      kind: 'jira_api_token',
      email: 'bot@acme.test',
      apiToken: 'revoked',
    });
    const refused = await admin('POST', `${path}/test`);
    expect(refused.json).toMatchObject({ ok: false, connection: { status: 'needs_attention' } });
    const trail = (await admin('GET', `/v1/orgs/${orgId}/audit-events?action=connection.tested`)).json
      .items as { outcome: string }[];
    expect(trail.map((r) => r.outcome)).toEqual(['failed', 'success']);
    const setTrail = (await admin('GET', `/v1/orgs/${orgId}/audit-events?action=connection.credentials_set`))
      .text;
    expect(setTrail).not.toContain('revoked');
    expect(setTrail).not.toContain('atlassian-token');
  });
});

describe('the fakes on their own (npm run fakes), driven from the CLI as the README shows', () => {
  it('starts both fakes on loopback and lets a GitHub connection be tested by hand', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const { runCli } = await import('../support/runtime-process');
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'bin', 'fakes.ts')], {
      env: { ...process.env, HUB_DATA_DIR: hub.dataDir, FAKE_GITHUB_PORT: '0', FAKE_JIRA_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      await new Promise<void>((ready, failed) => {
        const timer = setTimeout(() => failed(new Error(`fakes not ready:\n${output}`)), 60_000);
        child.stdout?.on('data', (c: Buffer) => {
          output += c.toString();
          if (output.includes('[fakes] ready')) {
            clearTimeout(timer);
            ready();
          }
        });
      });
      const githubUrl = /GitHub API\s+(\S+)/.exec(output)?.[1] ?? '';
      const keyFile = /key (\S+)\)/.exec(output)?.[1] ?? '';
      const admin = client(hub);
      const org = (await admin('POST', '/v1/orgs', { name: 'by-hand', slug: 'by-hand' })).json as {
        id: string;
      };
      const created = runCli(hub, [
        'connections',
        'create',
        org.id,
        '--provider',
        'github',
        '--name',
        'GitHub',
        '--base-url',
        githubUrl,
      ]);
      const con = JSON.parse(created.stdout) as { id: string };
      const set = runCli(hub, [
        'connections',
        'set-credentials',
        org.id,
        con.id,
        '--kind',
        'github_app',
        '--app-id',
        '1001',
        '--installation-id',
        '2002',
        '--private-key-file',
        keyFile,
      ]);
      expect(set.status).toBe(0);
      const tested = runCli(hub, ['connections', 'test', org.id, con.id]);
      expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true, connection: { status: 'active' } });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
