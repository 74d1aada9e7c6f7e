import { generateKeyPairSync } from 'node:crypto';
import type { FakeGithub } from '../test/fakes/github';
import { GITHUB_HUMAN, startFakeGithub } from '../test/fakes/github';
import type { FakeJira } from '../test/fakes/jira';
import { JIRA_HUMAN, startFakeJira } from '../test/fakes/jira';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client, eventually } from '../test/support/runtime-process';
import type { Summary } from './stats';
import { summarise } from './stats';

const ORGS = Number(process.env.BENCH_SYNC_ORGS ?? 10);
const LINKS_PER_ORG = Number(process.env.BENCH_SYNC_LINKS ?? 10);
const CHANGES = Number(process.env.BENCH_SYNC_N ?? 200);
// Below what one machine sustains with every service on it (the burst below measures that): a
// steady load, not a queue that grows.
const RATE_PER_SECOND = Number(process.env.BENCH_SYNC_RATE ?? 5);
const BURST = 100;

interface Tenant {
  orgId: string;
  github: FakeGithub;
  jira: FakeJira;
  links: { number: number; key: string }[];
}

type Json = Record<string, unknown>;

async function human(
  fake: FakeGithub | FakeJira,
  kind: 'github' | 'jira',
  method: string,
  path: string,
  body: unknown,
) {
  const auth =
    kind === 'jira'
      ? `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`
      : `token ${GITHUB_HUMAN.token}`;
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json().catch(() => ({}))) as Json;
}

async function awsCalls(hub: RuntimeProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${hub.url}/_local/aws-calls`)).json()) as Record<string, number>;
}

/**
 * Jira ↔ GitHub sync under load: many links across many orgs (each org with its own GitHub and
 * Jira fakes, sending signed webhooks), people editing GitHub issue titles at a steady rate. Timed
 * from the person's change on GitHub to the hub's write arriving at Jira; counted: AWS and SaaS
 * calls per synced change.
 */
export async function measureSync(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
) {
  const admin = client(hub);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const tenants: Tenant[] = [];
  const arrivals = new Map<string, (at: number) => void>();
  try {
    for (let i = 0; i < ORGS; i += 1) {
      const appId = String(5000 + i);
      const github = await startFakeGithub({ appId, publicKey, installationId: 1 });
      const jira = await startFakeJira({ email: 'bot@bench.test', apiToken: 'bench' });
      jira.onRequest = (method, path, body) => {
        const summary = (body.fields as Json | undefined)?.summary;
        if (method === 'PUT' && path.startsWith('/rest/api/3/issue/') && typeof summary === 'string')
          arrivals.get(summary)?.(performance.now());
      };
      const org = (
        await admin('POST', '/v1/orgs', { name: `Sync ${i}`, slug: `bench-sync-${i}`, plan: 'enterprise' })
      ).json as Json;
      const orgId = String(org.id);
      const connect = async (provider: 'jira' | 'github', baseUrl: string, credentials: Json) => {
        const con = (
          await admin('POST', `/v1/orgs/${orgId}/connections`, {
            provider,
            name: provider,
            config: { baseUrl },
          })
        ).json as Json;
        await admin('PUT', `/v1/orgs/${orgId}/connections/${con.id}/credentials`, credentials);
        (provider === 'jira' ? jira : github).webhooks.setTarget({
          url: `${hub.url}${con.webhookUrl}`,
          secret: String(con.webhookSecret),
        });
        return String(con.id);
      };
      const jiraId = await connect('jira', jira.url, {
        kind: 'jira_api_token',
        email: 'bot@bench.test',
        apiToken: 'bench',
      });
      const githubId = await connect('github', github.url, {
        kind: 'github_app',
        appId,
        installationId: 1,
        privateKey: pem,
      });
      await admin('POST', `/v1/orgs/${orgId}/mappings`, {
        tracker: { connectionId: jiraId, project: 'BEN' },
        codeHost: { connectionId: githubId, repository: 'bench/app' },
      });
      tenants.push({ orgId, github, jira, links: [] });
    }
    // Links: Jira issues people create, which the hub mirrors to GitHub.
    for (const t of tenants)
      for (let n = 0; n < LINKS_PER_ORG; n += 1)
        await human(t.jira, 'jira', 'POST', '/rest/api/3/issue', {
          fields: { project: { key: 'BEN' }, issuetype: { name: 'Task' }, summary: `Seed ${n}` },
        });
    for (const t of tenants) {
      t.links = await eventually(async () => {
        const items = ((await admin('GET', `/v1/orgs/${t.orgId}/links?limit=100`)).json.items ??
          []) as Json[];
        return items.length === LINKS_PER_ORG
          ? items.map((l) => ({
              number: Number(
                String((l.codeHost as Json).key)
                  .split('#')
                  .pop(),
              ),
              key: String((l.tracker as Json).key),
            }))
          : undefined;
      }, 120_000);
    }

    const change = async (i: number, label: string) => {
      const t = tenants[i % tenants.length] as Tenant;
      const link = t.links[Math.floor(i / tenants.length) % t.links.length] as Tenant['links'][number];
      const title = `${label} ${i}`;
      const arrived = new Promise<number>((resolve, reject) => {
        arrivals.set(title, resolve);
        setTimeout(() => reject(new Error(`${title} did not reach Jira in 60 s`)), 60_000).unref();
      });
      const start = performance.now();
      await human(t.github, 'github', 'PATCH', `/repos/bench/app/issues/${link.number}`, { title });
      return (await arrived) - start;
    };
    // Warm every function on the path first: these are not timed.
    await Promise.all(Array.from({ length: ORGS }, (_, i) => change(i, 'warm')));
    await new Promise((r) => setTimeout(r, 1000));

    const before = await awsCalls(hub);
    const saasBefore = tenants.reduce((n, t) => n + t.github.calls.length + t.jira.calls.length, 0);
    const pending: Promise<number>[] = [];
    for (let i = 0; i < CHANGES; i += 1) {
      pending.push(change(i, 'steady'));
      await new Promise((r) => setTimeout(r, 1000 / RATE_PER_SECOND));
    }
    const latencies = await Promise.all(pending);
    // Let the echoes (Jira's webhooks for the hub's own writes) be handled, so their cost is counted.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await awsCalls(hub);
    const saasAfter = tenants.reduce((n, t) => n + t.github.calls.length + t.jira.calls.length, 0);
    report(
      `GitHub change → Jira API called (${ORGS} orgs, ${ORGS * LINKS_PER_ORG} links, ${RATE_PER_SECOND}/s)`,
      summarise(latencies),
    );

    const burstStart = performance.now();
    await Promise.all(Array.from({ length: BURST }, (_, i) => change(i, 'burst')));
    const seconds = (performance.now() - burstStart) / 1000;

    const perChange = (key: string) => ((after[key] ?? 0) - (before[key] ?? 0)) / CHANGES;
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (k) => perChange(k) > 0,
    );
    const byService = new Map<string, number>();
    for (const k of keys)
      byService.set(k.split('.')[0] ?? k, (byService.get(k.split('.')[0] ?? k) ?? 0) + perChange(k));
    lines.push(
      `burst of ${BURST} changes through one sync worker: ${(BURST / seconds).toFixed(1)} changes/s (${seconds.toFixed(1)} s)`,
      `SaaS API calls per synced change (the person's own GitHub edit included): ${((saasAfter - saasBefore) / CHANGES).toFixed(2)}`,
      `AWS calls per synced change, by service: ${[...byService.entries()].map(([s, n]) => `${s} ${n.toFixed(2)}`).join(', ')}`,
      ...keys.map((k) => `    ${k.padEnd(40)}${perChange(k).toFixed(2).padStart(8)}`),
    );
  } finally {
    for (const t of tenants) {
      await t.github.stop();
      await t.jira.stop();
    }
  }
}
