import { generateKeyPairSync } from 'node:crypto';
import { GITHUB_HUMAN, startFakeGithub } from '../test/fakes/github';
import { GITLAB_HUB, GITLAB_HUMAN, startFakeGitlab } from '../test/fakes/gitlab';
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

/** A code host the bench measures against Jira: one fake per org, and how a person edits an issue on it. */
interface CodeHostFake {
  readonly url: string;
  readonly calls: readonly unknown[];
  readonly webhooks: { setTarget(target: { url: string; secret: string }): void };
  stop(): Promise<void>;
}
interface CodeHost {
  /** For people: `GitHub change → Jira API called`. */
  readonly name: string;
  readonly provider: string;
  /** A fake for the org's `i`th tenant, with the repository or project `bench/app`. */
  start(i: number): Promise<CodeHostFake>;
  readonly credentials: (i: number) => Json;
  /** A person renames an issue on the fake (not the hub): its webhook starts the sync. */
  rename(fake: CodeHostFake, number: number, title: string): Promise<void>;
}

interface Tenant {
  orgId: string;
  codeHost: CodeHostFake;
  jira: FakeJira;
  links: { number: number; key: string }[];
}

type Json = Record<string, unknown>;

async function call(url: string, method: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json().catch(() => ({}))) as Json;
}

const jiraHuman = (jira: FakeJira, method: string, path: string, body: unknown) =>
  call(
    `${jira.url}${path}`,
    method,
    {
      authorization: `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`,
    },
    body,
  );

async function awsCalls(hub: RuntimeProcess, by = ''): Promise<Record<string, number>> {
  return (await (await fetch(`${hub.url}/_local/aws-calls${by}`)).json()) as Record<string, number>;
}

/** GitHub as a GitHub App installation, one app per org. */
function github(): CodeHost {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    name: 'GitHub',
    provider: 'github',
    start: (i) => startFakeGithub({ appId: String(5000 + i), publicKey, installationId: 1 }),
    credentials: (i) => ({ kind: 'github_app', appId: String(5000 + i), installationId: 1, privateKey: pem }),
    rename: async (fake, number, title) => {
      await call(
        `${fake.url}/repos/bench/app/issues/${number}`,
        'PATCH',
        {
          authorization: `token ${GITHUB_HUMAN.token}`,
        },
        { title },
      );
    },
  };
}

/** GitLab with a project access token, one instance (self-managed, as the hub sees it) per org. */
function gitlab(): CodeHost {
  return {
    name: 'GitLab',
    provider: 'gitlab',
    start: async () => {
      const fake = await startFakeGitlab();
      fake.projects.project('bench/app');
      return fake;
    },
    credentials: () => ({ kind: 'gitlab_token', token: GITLAB_HUB.token }),
    rename: async (fake, number, title) => {
      await call(
        `${fake.url}/api/v4/projects/bench%2Fapp/issues/${number}`,
        'PUT',
        {
          'private-token': GITLAB_HUMAN.token,
        },
        { title },
      );
    },
  };
}

/**
 * Jira ↔ code host sync under load, for GitHub and then GitLab: many links across many orgs (each
 * org with its own code host and Jira fakes, sending signed webhooks), people editing code host
 * issue titles at a steady rate. Timed from the person's change on the code host to the hub's
 * write arriving at Jira; counted: AWS and SaaS calls per synced change. Each code host gets its
 * own orgs, under the same load.
 */
export async function measureSync(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
) {
  const fakes: { stop(): Promise<void> }[] = [];
  try {
    for (const host of [github(), gitlab()]) await measureCodeHost(hub, host, fakes, report, lines);
  } finally {
    // Stopped at the end only: a stopped fake would fail the reconciliations of its orgs meanwhile.
    for (const fake of fakes) await fake.stop();
  }
}

async function measureCodeHost(
  hub: RuntimeProcess,
  host: CodeHost,
  fakes: { stop(): Promise<void> }[],
  report: (label: string, s: Summary) => void,
  lines: string[],
) {
  process.stdout.write(`  sync with ${host.name}: ${ORGS} orgs, ${ORGS * LINKS_PER_ORG} links…\n`);
  const admin = client(hub);
  const tenants: Tenant[] = [];
  const arrivals = new Map<string, (at: number) => void>();
  for (let i = 0; i < ORGS; i += 1) {
    const codeHost = await host.start(i);
    fakes.push(codeHost);
    const jira = await startFakeJira({ email: 'bot@bench.test', apiToken: 'bench' });
    fakes.push(jira);
    jira.onRequest = (method, path, body) => {
      const summary = (body.fields as Json | undefined)?.summary;
      if (method === 'PUT' && path.startsWith('/rest/api/3/issue/') && typeof summary === 'string')
        arrivals.get(summary)?.(performance.now());
    };
    const org = (
      await admin('POST', '/v1/orgs', {
        name: `Sync ${host.name} ${i}`,
        slug: `bench-sync-${host.provider}-${i}`,
        plan: 'enterprise',
      })
    ).json as Json;
    const orgId = String(org.id);
    const connect = async (provider: string, baseUrl: string, credentials: Json) => {
      const con = (
        await admin('POST', `/v1/orgs/${orgId}/connections`, {
          provider,
          name: provider,
          config: { baseUrl },
        })
      ).json as Json;
      await admin('PUT', `/v1/orgs/${orgId}/connections/${con.id}/credentials`, credentials);
      (provider === 'jira' ? jira : codeHost).webhooks.setTarget({
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
    const codeHostId = await connect(host.provider, codeHost.url, host.credentials(i));
    await admin('POST', `/v1/orgs/${orgId}/mappings`, {
      tracker: { connectionId: jiraId, project: 'BEN' },
      codeHost: { connectionId: codeHostId, repository: 'bench/app' },
    });
    tenants.push({ orgId, codeHost, jira, links: [] });
  }
  // Links: Jira issues people create, which the hub mirrors to the code host.
  for (const t of tenants)
    for (let n = 0; n < LINKS_PER_ORG; n += 1)
      await jiraHuman(t.jira, 'POST', '/rest/api/3/issue', {
        fields: { project: { key: 'BEN' }, issuetype: { name: 'Task' }, summary: `Seed ${n}` },
      });
  for (const t of tenants) {
    t.links = await eventually(async () => {
      const items = ((await admin('GET', `/v1/orgs/${t.orgId}/links?limit=100`)).json.items ?? []) as Json[];
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
      setTimeout(
        () => reject(new Error(`${host.name}: ${title} did not reach Jira in 120 s`)),
        120_000,
      ).unref();
    });
    const start = performance.now();
    await host.rename(t.codeHost, link.number, title);
    return (await arrived) - start;
  };
  // Warm every function on the path first: these are not timed.
  await Promise.all(Array.from({ length: ORGS }, (_, i) => change(i, 'warm')));
  await new Promise((r) => setTimeout(r, 1000));

  const before = await awsCalls(hub);
  const callersBefore = await awsCalls(hub, '?by=caller');
  const saasBefore = tenants.reduce((n, t) => n + t.codeHost.calls.length + t.jira.calls.length, 0);
  const pending: Promise<number>[] = [];
  for (let i = 0; i < CHANGES; i += 1) {
    pending.push(change(i, 'steady'));
    await new Promise((r) => setTimeout(r, 1000 / RATE_PER_SECOND));
  }
  const latencies = await Promise.all(pending);
  // Let the echoes (Jira's webhooks for the hub's own writes) be handled, so their cost is counted.
  await new Promise((r) => setTimeout(r, 2000));
  const after = await awsCalls(hub);
  const callersAfter = await awsCalls(hub, '?by=caller');
  const saasAfter = tenants.reduce((n, t) => n + t.codeHost.calls.length + t.jira.calls.length, 0);
  report(
    `${host.name} change → Jira API called (${ORGS} orgs, ${ORGS * LINKS_PER_ORG} links, ${RATE_PER_SECOND}/s)`,
    summarise(latencies),
  );

  const burstStart = performance.now();
  await Promise.all(Array.from({ length: BURST }, (_, i) => change(i, 'burst')));
  const seconds = (performance.now() - burstStart) / 1000;

  const perChange = (key: string) => ((after[key] ?? 0) - (before[key] ?? 0)) / CHANGES;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => perChange(k) > 0);
  const byService = new Map<string, number>();
  for (const k of keys)
    byService.set(k.split('.')[0] ?? k, (byService.get(k.split('.')[0] ?? k) ?? 0) + perChange(k));
  lines.push(
    `${host.name}:`,
    `burst of ${BURST} changes through one sync worker: ${(BURST / seconds).toFixed(1)} changes/s (${seconds.toFixed(1)} s)`,
    `SaaS API calls per synced change (the person's own ${host.name} edit included): ${((saasAfter - saasBefore) / CHANGES).toFixed(2)}`,
    `AWS calls per synced change, by service: ${[...byService.entries()].map(([s, n]) => `${s} ${n.toFixed(2)}`).join(', ')}`,
    ...keys.map((k) => `    ${k.padEnd(40)}${perChange(k).toFixed(2).padStart(8)}`),
    'DynamoDB calls per synced change, by the function that made them:',
    ...Object.keys(callersAfter)
      .filter((k) => k.endsWith(':DynamoDB'))
      .map((k) => [k, ((callersAfter[k] ?? 0) - (callersBefore[k] ?? 0)) / CHANGES] as const)
      .filter(([, n]) => n > 0)
      .sort(([, a], [, b]) => b - a)
      .map(([k, n]) => `    ${k.replace(/:DynamoDB$/, '').padEnd(40)}${n.toFixed(2).padStart(8)}`),
  );
}
