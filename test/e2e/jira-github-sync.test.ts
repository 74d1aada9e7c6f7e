import type { FakeGithub } from '../fakes/github';
import { GITHUB_HUMAN } from '../fakes/github';
import type { FakeJira } from '../fakes/jira';
import { JIRA_HUMAN } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import type { SyncFakes } from '../support/sync-fakes';
import { connectSyncFakes, startSyncFakes } from '../support/sync-fakes';

/**
 * The whole loop on one machine: people change things in the Jira and GitHub fakes, the fakes send
 * their signed webhooks to the hub, and the hub's sync worker writes to the other side through the
 * fakes' REST APIs, whose shapes are checked against the providers' descriptions.
 */
const REPO = 'acme/web';

let hub: RuntimeProcess;
let fakes: SyncFakes;
let github: FakeGithub;
let jira: FakeJira;
let admin: ReturnType<typeof client>;
let orgId: string;
let jiraConnection: string;
let githubConnection: string;

// biome-ignore lint/suspicious/noExplicitAny: the tests read the providers' and the hub's JSON freely
type Json = Record<string, any>;
const read = async (path: string) => (await admin('GET', path)).json as Json;

const asHuman = (fake: 'jira' | 'github', method: string, path: string, body?: unknown) =>
  fakes.asHuman(fake, method, path, body);

const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

async function createJiraIssue(summary: string, description: string, extra: Json = {}) {
  return asHuman('jira', 'POST', '/rest/api/3/issue', {
    fields: {
      project: { key: 'WEB' },
      issuetype: { name: 'Task' },
      summary,
      description: adf(description),
      ...extra,
    },
  });
}

async function linkFor(jiraKey: string) {
  return eventually(async () => {
    const json = await read(`/v1/orgs/${orgId}/links?limit=100`);
    return (json.items as Json[]).find((l) => l.tracker.key === jiraKey);
    // The first link cold-starts the webhook and sync functions (the runtime loads them on first use).
  }, 90_000);
}

/** The GitHub issue number of a link's code host side (`acme/web#12`). */
const numberOf = (link: Json) => Number(String(link.codeHost.key).split('#').pop());
const githubIssue = (number: number) => github.repositories.repo(REPO).issues.get(number) as Json;
const jiraIssue = (key: string) =>
  jira.issues.get(key) as { fields: Json; comments: Json[]; remoteLinks: Json[] };
const calls = (fake: FakeGithub | FakeJira, method: string, pattern: RegExp) =>
  fake.calls.filter((c) => c.method === method && pattern.test(c.path)).length;
/** Lets in-flight webhooks and the work they cause finish. */
async function quiet(ms = 1500) {
  await new Promise((r) => setTimeout(r, ms));
  await Promise.all([github.webhooks.settled(), jira.webhooks.settled()]);
}

beforeAll(async () => {
  fakes = await startSyncFakes();
  ({ github, jira } = fakes);
  // Reconciliation may look at changes up to now: the tests say when webhooks were lost.
  process.env.SYNC_SETTLE_SECONDS = '0';
  // Its own runtime: the reconciliation schedule it runs reaches every org's mappings.
  hub = await startRuntime({ own: true });
  admin = client(hub);
  orgId = ((await admin('POST', '/v1/orgs', { name: 'Sync Co', slug: 'sync-co' })).json as Json).id;
  ({ jiraConnection, githubConnection } = await connectSyncFakes(hub, orgId, fakes));
  const mapping = await admin('POST', `/v1/orgs/${orgId}/mappings`, {
    tracker: { connectionId: jiraConnection, project: 'WEB' },
    codeHost: { connectionId: githubConnection, repository: REPO },
    users: [{ tracker: JIRA_HUMAN.accountId, codeHost: GITHUB_HUMAN.login }],
    labels: { rename: [{ tracker: 'bug', codeHost: 'type: bug' }] },
  });
  expect(mapping.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  await fakes?.stop();
});

describe('Jira ↔ GitHub issue sync', () => {
  it('creates and links a GitHub issue for a new Jira issue, with its fields translated', async () => {
    const created = await createJiraIssue('Login page times out', 'Users wait **forever**.', {
      labels: ['bug', 'frontend'],
      assignee: { accountId: JIRA_HUMAN.accountId },
    });
    const link = await linkFor(created.key);
    const issue = githubIssue(numberOf(link));
    expect(issue).toMatchObject({
      title: 'Login page times out',
      body: 'Users wait **forever**.',
      state: 'open',
    });
    expect((issue.labels as Json[]).map((l) => l.name).sort()).toEqual(['frontend', 'type: bug']);
    expect((issue.assignees as Json[]).map((a) => a.login)).toEqual([GITHUB_HUMAN.login]);
    expect(link).toMatchObject({
      tracker: { key: created.key, url: `${jira.url}/browse/${created.key}`, provider: 'jira' },
      codeHost: { key: `${REPO}#${numberOf(link)}`, provider: 'github', container: REPO },
      revision: 1,
    });
    // The GitHub issue the hub opened comes back as a webhook: recognised as its own, nothing more happens.
    await quiet();
    expect(jira.issues.size).toBe(1);
    expect((await read(`/v1/orgs/${orgId}/links/${link.id}`)).revision).toBe(1);
  });

  it('carries a GitHub edit to Jira, and the echo of that write stops there', async () => {
    const created = await createJiraIssue('Search is slow', 'Takes 3 s.');
    const link = await linkFor(created.key);
    const patchesBefore = calls(github, 'PATCH', /issues/);
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, {
      title: 'Search is slow on mobile',
      labels: ['bug'],
    });
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'Search is slow on mobile' ? true : undefined,
    );
    await eventually(async () => (jiraIssue(created.key).fields.labels.includes('bug') ? true : undefined));
    await quiet();
    // Only the person's own PATCH: the hub's write to Jira, echoed back by Jira's webhook, is not synced again.
    expect(calls(github, 'PATCH', /issues/)).toBe(patchesBefore + 1);
    const after = await read(`/v1/orgs/${orgId}/links/${link.id}`);
    expect(after.fields.title).toMatchObject({ value: 'Search is slow on mobile', side: 'codeHost' });
    expect(after.pending).toEqual({ tracker: [], codeHost: [] });
    expect(after.lagMs).toBeGreaterThanOrEqual(0);
  });

  it('moves the GitHub issue when the Jira status changes, and mirrors comments once each way', async () => {
    const created = await createJiraIssue('Dark mode', 'Please.');
    const link = await linkFor(created.key);
    const { transitions } = await asHuman('jira', 'GET', `/rest/api/3/issue/${created.key}/transitions`);
    const done = (transitions as Json[]).find((t) => t.to.name === 'Done');
    await asHuman('jira', 'POST', `/rest/api/3/issue/${created.key}/transitions`, {
      transition: { id: done?.id },
    });
    await eventually(async () => (githubIssue(numberOf(link)).state === 'closed' ? true : undefined));

    await asHuman('jira', 'POST', `/rest/api/3/issue/${created.key}/comment`, {
      body: adf('Shipped in 2.1'),
    });
    const mirrored = await eventually(async () =>
      github.repositories.repo(REPO).comments.find((c) => c.issue === numberOf(link)),
    );
    // With the marker a retry finds it by, as an HTML comment GitHub does not render.
    expect(mirrored.body).toMatch(
      new RegExp(
        `^\\*\\*${JIRA_HUMAN.displayName}\\*\\* commented in Jira:\n\nShipped in 2\\.1\n\n<!-- integration-hub:hub-[0-9a-f]{24} -->$`,
      ),
    );
    await asHuman('github', 'POST', `/repos/${REPO}/issues/${numberOf(link)}/comments`, {
      body: 'Confirmed',
    });
    await eventually(async () => (jiraIssue(created.key).comments.length === 2 ? true : undefined));
    await quiet();
    // Each comment crossed once: the mirrored ones, coming back as webhooks, were not mirrored again.
    expect(jiraIssue(created.key).comments).toHaveLength(2);
    expect(github.repositories.repo(REPO).comments.filter((c) => c.issue === numberOf(link))).toHaveLength(2);
  });

  it('moves the Jira issue along the mapping as a pull request naming its key is opened, approved and merged', async () => {
    const created = await createJiraIssue('Add CSV export', 'For reports.');
    const link = await linkFor(created.key);
    await asHuman('github', 'POST', `/repos/${REPO}/git/refs`, {
      ref: `refs/heads/${created.key}-csv`,
      sha: 'a'.repeat(40),
    });
    const pr = await asHuman('github', 'POST', `/repos/${REPO}/pulls`, {
      title: 'CSV export',
      head: `${created.key}-csv`,
      base: 'main',
    });
    await eventually(async () =>
      jiraIssue(created.key).fields.status.name === 'In Progress' ? true : undefined,
    );
    expect(jiraIssue(created.key).remoteLinks[0]).toMatchObject({ object: { url: pr.html_url } });
    github.repositories.review(REPO, pr.number, 'APPROVED', 'reviewer');
    await eventually(async () =>
      jiraIssue(created.key).fields.status.name === 'In Review' ? true : undefined,
    );
    github.repositories.merge(REPO, pr.number);
    await eventually(async () => (jiraIssue(created.key).fields.status.name === 'Done' ? true : undefined));
    // Done pairs with closed: the linked GitHub issue closes too.
    await eventually(async () => (githubIssue(numberOf(link)).state === 'closed' ? true : undefined));
    // The link records the merge after the tracker's transition (its own write): waited for.
    const after = await eventually(async () => {
      const link_ = await read(`/v1/orgs/${orgId}/links/${link.id}`);
      return (link_.pullRequests as { state: string }[] | undefined)?.[0]?.state === 'merged'
        ? link_
        : undefined;
    });
    expect(after.pullRequests).toEqual([
      expect.objectContaining({ number: pr.number, url: pr.html_url, state: 'merged' }),
    ]);
  });

  it('opens a branch and a draft pull request for a linked issue, linked back in Jira', async () => {
    const created = await createJiraIssue('Rate limit the API', 'Per key.');
    const link = await linkFor(created.key);
    const opened = (await admin('POST', `/v1/orgs/${orgId}/links/${link.id}/branch`, {})) as {
      status: number;
      json: Json;
    };
    expect(opened.status).toBe(200);
    expect(opened.json.branch).toBe(`${created.key}-rate-limit-the-api`);
    const pr = github.repositories.repo(REPO).pulls.get(opened.json.pullRequests[0].number) as Json;
    expect(pr).toMatchObject({ draft: true, head: { ref: `${created.key}-rate-limit-the-api` } });
    expect(jiraIssue(created.key).remoteLinks).toEqual([
      expect.objectContaining({ object: expect.objectContaining({ url: pr.html_url }) }),
    ]);
    // The hub's own draft PR does not move the issue to In Progress.
    await quiet();
    expect(jiraIssue(created.key).fields.status.name).toBe('To Do');
    const missing = await admin('POST', `/v1/orgs/${orgId}/links/lnk_00000000000000000000000000/branch`, {});
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('resolves a conflict by the latest change and keeps the losing value in the history', async () => {
    const created = await createJiraIssue('Old title', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    jira.webhooks.hold();
    github.webhooks.hold();
    await asHuman('jira', 'PUT', `/rest/api/3/issue/${created.key}`, {
      fields: { summary: 'Title from Jira' },
    });
    // GitHub's timestamps have one-second resolution: the later change is later by more than that.
    await new Promise((r) => setTimeout(r, 1100));
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, {
      title: 'Title from GitHub',
    });
    // The later change arrives first; the earlier one arrives after it.
    await github.webhooks.release();
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'Title from GitHub' ? true : undefined,
    );
    await jira.webhooks.release();
    await quiet();
    expect(githubIssue(numberOf(link)).title).toBe('Title from GitHub');
    expect(jiraIssue(created.key).fields.summary).toBe('Title from GitHub');
    const after = await read(`/v1/orgs/${orgId}/links/${link.id}`);
    expect(after.history[0]).toMatchObject({
      field: 'title',
      rule: 'latest',
      kept: { value: 'Title from GitHub', side: 'codeHost' },
      lost: { value: 'Title from Jira', side: 'tracker' },
    });
  });

  it('applies out-of-order deliveries so the newest change stands', async () => {
    const created = await createJiraIssue('Version 1', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    github.webhooks.hold();
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, { title: 'Version 2' });
    await new Promise((r) => setTimeout(r, 1100));
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, { title: 'Version 3' });
    await github.webhooks.release('reverse');
    await eventually(async () => (jiraIssue(created.key).fields.summary === 'Version 3' ? true : undefined));
    await quiet();
    expect(jiraIssue(created.key).fields.summary).toBe('Version 3');
  });

  it('rides out a Jira outage through retries, losing nothing', async () => {
    const created = await createJiraIssue('Flaky', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    const before = (await read(`/v1/orgs/${orgId}/connections/${githubConnection}/status`)).sync.failures;
    jira.setOutage(503);
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, {
      title: 'Written during the outage',
    });
    const failing = await eventually(async () => {
      const json = await read(`/v1/orgs/${orgId}/connections/${githubConnection}/status`);
      return json.sync.failures > before ? json : undefined;
    });
    expect(failing.sync.lastError.message).toContain('503');
    jira.setOutage(null);
    await eventually(
      async () => (jiraIssue(created.key).fields.summary === 'Written during the outage' ? true : undefined),
      30_000,
    );
    const status = await read(`/v1/orgs/${orgId}/connections/${githubConnection}/status`);
    expect(status).toMatchObject({ status: 'active', deadLetters: 0 });
    expect(status.sync.changesSynced).toBeGreaterThan(0);
    expect(status.mappings).toHaveLength(1);
  }, 60_000);

  it('is managed from the CLI: mappings, links and connection status', async () => {
    const cli = (...args: string[]) => {
      const out = runCli(hub, args);
      expect(out.stderr).toBe('');
      return JSON.parse(out.stdout) as Json;
    };
    const [mapping] = cli('mappings', 'list', orgId).items as Json[];
    const updated = cli(
      'mappings',
      'update',
      orgId,
      mapping?.id,
      '--conflicts',
      'prefer_tracker',
      '--user',
      `${JIRA_HUMAN.accountId}=${GITHUB_HUMAN.login}`,
    );
    expect(updated).toMatchObject({ conflicts: 'prefer_tracker', version: 2, labels: mapping?.labels });
    cli('mappings', 'update', orgId, mapping?.id, '--conflicts', 'latest');
    await linkFor((await createJiraIssue('Managed from the CLI', 'x')).key);
    const [link] = cli('links', 'list', orgId, '--limit', '1').items as Json[];
    expect(cli('links', 'get', orgId, link?.id)).toMatchObject({ id: link?.id, tracker: link?.tracker });
    expect(cli('connections', 'status', orgId, jiraConnection)).toMatchObject({
      connectionId: jiraConnection,
      status: 'active',
    });
    const bad = runCli(hub, ['mappings', 'create', orgId, '--project', 'lower', '--repository', 'x/y']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('tracker');
  });

  it('still syncs a change whose webhook was lost, through the scheduled reconciliation', async () => {
    const created = await createJiraIssue('Webhook gets lost', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    github.webhooks.dropNext();
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, {
      title: 'Arrives anyway',
    });
    await quiet(500);
    expect(jiraIssue(created.key).fields.summary).toBe('Webhook gets lost');
    const run = await fetch(`${hub.url}/_local/schedules/reconcileSync`, { method: 'POST' });
    expect(await run.json()).toMatchObject({ queued: 1, skipped: 0 });
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'Arrives anyway' ? true : undefined,
    );
    const status = await eventually(async () => {
      const json = await read(`/v1/orgs/${orgId}/connections/${githubConnection}/status`);
      return json.mappings[0].reconciledAt ? json : undefined;
    });
    expect(Date.parse(status.mappings[0].cursor)).toBeGreaterThan(Date.parse(link.createdAt));
  });

  it('backfills a new mapping in checkpointed pages, with progress and an ETA, and links everything once', async () => {
    for (let n = 1; n <= 3; n += 1)
      await asHuman('jira', 'POST', '/rest/api/3/issue', {
        fields: { project: { key: 'OLD' }, issuetype: { name: 'Task' }, summary: `Old Jira ${n}` },
      });
    for (let n = 1; n <= 2; n += 1)
      await asHuman('github', 'POST', '/repos/acme/old/issues', { title: `Old GitHub ${n}` });
    await quiet(300);
    const mapping = (
      await admin('POST', `/v1/orgs/${orgId}/mappings`, {
        tracker: { connectionId: jiraConnection, project: 'OLD' },
        codeHost: { connectionId: githubConnection, repository: 'acme/old' },
      })
    ).json as Json;
    // Over HTTP: the CLI runs synchronously, and the fakes live in this process.
    const started = await admin('POST', `/v1/orgs/${orgId}/mappings/${mapping.id}/backfill`);
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ status: 'running', total: 5, processed: 0 });
    const again = await admin('POST', `/v1/orgs/${orgId}/mappings/${mapping.id}/backfill`);
    expect(again.status).toBe(409);
    await eventually(async () => {
      const json = await read(`/v1/orgs/${orgId}/mappings/${mapping.id}/backfill`);
      return json.status === 'completed' ? json : undefined;
    }, 30_000);
    const job = JSON.parse(
      runCli(hub, ['mappings', 'backfill', orgId, mapping.id, '--status']).stdout,
    ) as Json;
    expect(job).toMatchObject({
      status: 'completed',
      created: 5,
      failed: 0,
      etaSeconds: 0,
      pages: 2,
      lastError: null,
    });
    // Counterparts the backfill made may be listed too, in the same second: linked already, unchanged.
    expect(job.processed - job.unchanged).toBe(5);
    await quiet();
    const oldLinks = ((await read(`/v1/orgs/${orgId}/links?limit=100`)).items as Json[]).filter(
      (l) => l.mappingId === mapping.id,
    );
    expect(oldLinks).toHaveLength(5);
    expect(github.repositories.repo('acme/old').issues.size).toBe(5);
    expect([...jira.issues.values()].filter((i) => i.key.startsWith('OLD-'))).toHaveLength(5);
  });

  it('parks a change Jira refuses the credentials for, flags the connection, and redrives it once fixed', async () => {
    const created = await createJiraIssue('Parked then redriven', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    jira.setOutage(401);
    await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${numberOf(link)}`, {
      title: 'After the redrive',
    });
    const parked = await eventually(async () => {
      const items = (await read(`/v1/orgs/${orgId}/dead-letters`)).items as Json[];
      return items.find((d) => d.queue === 'sync' && String(d.reason).includes('ProviderAuthError'));
    });
    expect(parked).toMatchObject({ eventType: 'work_item.updated', attempts: 1 });
    // The connection the provider refused is the one flagged: Jira's, not GitHub's the event came from.
    expect((await read(`/v1/orgs/${orgId}/connections/${jiraConnection}`)).status).toBe('needs_attention');
    expect((await read(`/v1/orgs/${orgId}/connections/${githubConnection}`)).status).toBe('active');
    jira.setOutage(null);
    expect((await admin('POST', `/v1/orgs/${orgId}/connections/${jiraConnection}/test`)).json).toMatchObject({
      ok: true,
      connection: { status: 'active' },
    });
    const redriven = await admin('POST', `/v1/orgs/${orgId}/dead-letters/redrive`, { ids: [parked.id] });
    expect(redriven.status).toBe(200);
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'After the redrive' ? true : undefined,
    );
  });

  it('opens a branch and a draft PR for every new Jira issue when the mapping says so', async () => {
    const [mapping] = (await read(`/v1/orgs/${orgId}/mappings`)).items as Json[];
    const { id, orgId: _o, createdAt: _c, updatedAt: _u, version: _v, ...input } = mapping as Json;
    const on = await admin('PUT', `/v1/orgs/${orgId}/mappings/${id}`, {
      ...input,
      branches: { onCreate: true, base: 'main' },
    });
    expect(on.status).toBe(200);
    try {
      const created = await createJiraIssue('Branch me', 'x');
      const link = await eventually(async () => {
        const found = await linkFor(created.key);
        const full = await read(`/v1/orgs/${orgId}/links/${found.id}`);
        return full.pullRequests.length > 0 ? full : undefined;
      });
      expect(link.branch).toBe(`${created.key}-branch-me`);
      expect(github.repositories.repo(REPO).pulls.get(link.pullRequests[0].number)).toMatchObject({
        draft: true,
      });
      expect(jiraIssue(created.key).remoteLinks).toHaveLength(1);
    } finally {
      await admin('PUT', `/v1/orgs/${orgId}/mappings/${id}`, input);
    }
  });
});
