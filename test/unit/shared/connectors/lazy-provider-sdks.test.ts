import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

/** The providers' client SDKs: each entry module, by the package it is. */
const SDK_ENTRIES: ReadonlyArray<[RegExp, string]> = [
  [/node_modules\/@octokit\/core\/dist-src\/index\.js$/, '@octokit/core'],
  [/node_modules\/@octokit\/auth-app\/dist-node\/index\.js$/, '@octokit/auth-app'],
  [/node_modules\/jira\.js\/dist\/cloud\/createCloudClient\.js$/, 'jira.js'],
  [/node_modules\/@slack\/web-api\/dist\/index\.js$/, '@slack/web-api'],
];

/**
 * Bundles `entry` as HubFunction does (one ESM file, esbuild, node22), with each SDK entry module
 * recording its evaluation, and runs it in a fresh Node.js process: what it prints is what the
 * bundle evaluated, at init and after a client was made.
 */
async function runBundled(entry: string): Promise<Record<string, string[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-sdks-'));
  try {
    const outfile = join(dir, 'index.mjs');
    await build({
      stdin: { contents: entry, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true,
      outfile,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
      plugins: [
        {
          name: 'record-sdk-evaluation',
          setup(b) {
            b.onLoad({ filter: /node_modules[\\/](@octokit|jira\.js|@slack)[\\/]/ }, (args) => {
              const sdk = SDK_ENTRIES.find(([path]) => path.test(args.path.replace(/\\/g, '/')))?.[1];
              if (!sdk) return undefined;
              const source = readFileSync(args.path, 'utf8');
              return {
                contents: `(globalThis.__sdks ??= []).push(${JSON.stringify(sdk)});\n${source}`,
                loader: 'js',
              };
            });
          },
        },
      ],
    });
    const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8', cwd: dir });
    if (run.status !== 0) throw new Error(`the bundle failed:\n${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the providers' client SDKs", () => {
  it('are not evaluated by a bundle that reaches every provider module but opens no client, and load at the first client', async () => {
    const seen = await runBundled(`
      import { PROVIDER_MODULES } from './shared/providers';
      import { githubClient } from './shared/connectors/github/client';
      import { jiraClient } from './shared/connectors/jira/client';
      import { makeSlackChatClient } from './shared/connectors/slack/client';
      const atInit = [...(globalThis.__sdks ?? [])];
      const modules = PROVIDER_MODULES.map((m) => m.id);
      const connection = (provider, baseUrl) => ({ id: 'con_x', orgId: 'org_x', provider, config: { baseUrl } });
      const first = await githubClient(connection('github', 'https://api.github.com'), {
        kind: 'github_app', appId: '1', installationId: 2, privateKey: '-----BEGIN PRIVATE KEY-----',
      });
      const again = await githubClient(connection('github', 'https://api.github.com'), {
        kind: 'github_app', appId: '1', installationId: 2, privateKey: '-----BEGIN PRIVATE KEY-----',
      });
      const jira = await jiraClient(connection('jira', 'https://acme.atlassian.net'), {
        kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 't',
      });
      const slack = makeSlackChatClient({
        fetch: async () => { throw new Error('offline'); },
        connections: { get: async () => ({ provider: 'slack', status: 'active', config: { baseUrl: 'https://slack.com/api' } }) },
        accessTokens: { token: async () => 'xoxb-t' },
      });
      const posted = await slack.post({ orgId: 'org_x', connectionId: 'con_x' }, 'C0GENERAL01', { title: 't', fallback: 't' });
      console.log(JSON.stringify({
        slack: [String(posted.ok)],
        atInit,
        modules,
        afterClients: [...globalThis.__sdks].sort(),
        sameClient: [String(first === again)],
        jira: [typeof jira.issues.getIssue],
      }));
    `);
    expect(seen.modules).toEqual(expect.arrayContaining(['github', 'jira']));
    expect(seen.atInit).toEqual([]);
    // Loaded once each, at first use; a second client for the same installation is the cached one.
    expect(seen.afterClients).toEqual(['@octokit/auth-app', '@octokit/core', '@slack/web-api', 'jira.js']);
    expect(seen.slack).toEqual(['false']);
    expect(seen.sameClient).toEqual(['true']);
    expect(seen.jira).toEqual(['function']);
  });
});
