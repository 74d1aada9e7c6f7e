import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A loopback stand-in for the hub's API: records each request, answers as the hub would. */
async function fakeHub(answer: { status: number; body: unknown }) {
  const seen: { method: string; url: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: body ? JSON.parse(body) : undefined });
      res.writeHead(answer.status, {
        'content-type': answer.status >= 400 ? 'application/problem+json' : 'application/json',
      });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((done) => server.close(() => done())) };
}

function cli(url: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'hub-cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, HUB_URL: url, HUB_TOKEN: 'hub_test', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';

describe('hub connections set-credentials, with flags derived from the credential schemas', () => {
  it('sends the kind, its fields and secrets read from a file or the environment', async () => {
    const hub = await fakeHub({ status: 200, body: { id: CON } });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'cli-'));
      writeFileSync(join(dir, 'secret'), 'cs-from-file\n');
      const sent = await cli(
        hub.url,
        [
          'connections',
          'set-credentials',
          ORG,
          CON,
          '--kind',
          'jira_oauth',
          '--client-id',
          'client-1',
          '--client-secret-file',
          join(dir, 'secret'),
          '--refresh-token-env',
          'THE_REFRESH_TOKEN',
        ],
        { THE_REFRESH_TOKEN: 'rt-from-env' },
      );
      expect(sent.status).toBe(0);
      expect(hub.seen).toEqual([
        {
          method: 'PUT',
          url: `/v1/orgs/${ORG}/connections/${CON}/credentials`,
          body: {
            kind: 'jira_oauth',
            clientId: 'client-1',
            clientSecret: 'cs-from-file\n',
            refreshToken: 'rt-from-env',
          },
        },
      ]);
      const github = await cli(hub.url, [
        'connections',
        'set-credentials',
        ORG,
        CON,
        '--kind',
        'github_app',
        '--app-id',
        '1001',
        '--installation-id',
        '2002',
        '--private-key-env',
        'NO_SUCH_VARIABLE_SET',
      ]);
      expect(github.status).toBe(1);
      expect(github.stderr).toMatch(/\$NO_SUCH_VARIABLE_SET is not set/);
      expect(hub.seen).toHaveLength(1);
    } finally {
      await hub.close();
    }
  });

  it('never takes a secret on the command line (saying where it goes), nor a field of another kind, nor leaves a required one out', async () => {
    const hub = await fakeHub({ status: 200, body: {} });
    try {
      const inline = await cli(hub.url, [
        'connections',
        'set-credentials',
        ORG,
        CON,
        '--kind',
        'jira_api_token',
        '--email',
        'bot@acme.test',
        '--api-token',
        'tok-on-the-command-line',
      ]);
      expect(inline.status).toBe(1);
      expect(inline.stderr).toMatch(/apiToken is a secret: it is not taken on the command line/);
      expect(inline.stderr).toContain('Use --api-token-file <path> or --api-token-env <name>');
      expect(inline.stderr).not.toContain('tok-on-the-command-line');
      const missing = await cli(hub.url, [
        'connections',
        'set-credentials',
        ORG,
        CON,
        '--kind',
        'jira_api_token',
        '--email',
        'bot@acme.test',
      ]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/jira_api_token credentials need --api-token-file\|--api-token-env/);
      const other = await cli(hub.url, [
        'connections',
        'set-credentials',
        ORG,
        CON,
        '--kind',
        'jira_api_token',
        '--app-id',
        '1001',
      ]);
      expect(other.status).toBe(1);
      expect(other.stderr).toMatch(/jira_api_token credentials have no appId/);
      expect(hub.seen).toEqual([]);
    } finally {
      await hub.close();
    }
  });

  it("shows the server's validation errors, and lists every kind's fields in its help", async () => {
    const problem = {
      type: 'urn:integration-hub:problem:validation',
      title: 'Bad Request',
      status: 400,
      detail: 'A github connection does not take jira_api_token credentials',
      errors: [{ path: 'kind', message: 'one of: github_app' }],
    };
    const hub = await fakeHub({ status: 400, body: problem });
    try {
      const refused = await cli(
        hub.url,
        [
          'connections',
          'set-credentials',
          ORG,
          CON,
          '--kind',
          'jira_api_token',
          '--email',
          'a@b.test',
          '--api-token-env',
          'T',
        ],
        { T: 'x' },
      );
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('does not take jira_api_token credentials');
      expect(refused.stderr).toContain('one of: github_app');
      const help = await cli(hub.url, ['connections', 'set-credentials', '--help']);
      // The secret flags exist only to point elsewhere: help never offers them.
      expect(help.stdout).not.toMatch(/--api-token </);
      for (const text of [
        'github_app (GitHub)',
        '--private-key-file|--private-key-env',
        'jira_api_token (Jira)',
        '--email --api-token-file|--api-token-env',
        'jira_oauth (Jira)',
      ])
        expect(help.stdout).toContain(text);
    } finally {
      await hub.close();
    }
  });
});
