import type { FakeGitlab } from '../fakes/gitlab';
import { GITLAB_HUB, GITLAB_HUMAN, startFakeGitlab } from '../fakes/gitlab';
import { gitlabFixture } from '../fakes/gitlab-projects';
import type { FakeJira } from '../fakes/jira';
import { JIRA_HUMAN, startFakeJira } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

/**
 * The Jira ↔ GitHub scenarios again, with GitLab as the code host: people change things in the
 * Jira and GitLab fakes, the fakes send their webhooks (GitLab's with the connection's secret
 * token) to the hub, and the hub's sync worker writes to the other side through the fakes' APIs.
 * Needs `gitlabProvider` in `shared/providers.ts` (the list of modules).
 */
const PROJECT = 'acme/platform/web';
const JIRA_BOT = { email: 'bot@acme.test', apiToken: 'atlassian-token' };

let hub: RuntimeProcess;
let gitlab: FakeGitlab;
let jira: FakeJira;
let admin: ReturnType<typeof client>;
let orgId: string;
let jiraConnection: string;
let gitlabConnection: string;
/** The GitLab connection's secret token, as its hook in GitLab would be set up with it. */
let gitlabSecret: string;

// biome-ignore lint/suspicious/noExplicitAny: the tests read the providers' and the hub's JSON freely
type Json = Record<string, any>;
const read = async (path: string) => (await admin('GET', path)).json as Json;

/** Calls a fake's REST API as a person would (not as the hub). */
async function asHuman(fake: 'jira' | 'gitlab', method: string, path: string, body?: unknown): Promise<Json> {
  const url = fake === 'jira' ? jira.url : `${gitlab.url}/api/v4`;
  const auth: Record<string, string> =
    fake === 'jira'
      ? {
          authorization: `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`,
        }
      : { 'private-token': GITLAB_HUMAN.token };
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...auth, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Json) : {};
}
const project = encodeURIComponent(PROJECT);

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

/** The GitLab issue iid of a link's code host side (`acme/platform/web#12`). */
const iidOf = (link: Json) => Number(String(link.codeHost.key).split('#').pop());
const gitlabIssue = (iid: number) => gitlab.projects.issue(PROJECT, iid) as Json;
const jiraIssue = (key: string) =>
  jira.issues.get(key) as { fields: Json; comments: Json[]; remoteLinks: Json[] };
const gitlabNotes = (iid: number) =>
  gitlab.projects.notesOf(PROJECT, iid, new URLSearchParams({ sort: 'asc' })) as Json[];
const calls = (fake: FakeGitlab | FakeJira, method: string, pattern: RegExp) =>
  fake.calls.filter((c) => c.method === method && pattern.test(c.path)).length;
/** Lets in-flight webhooks and the work they cause finish. */
async function quiet(ms = 1500) {
  await new Promise((r) => setTimeout(r, ms));
  await Promise.all([gitlab.webhooks.settled(), jira.webhooks.settled()]);
}

beforeAll(async () => {
  gitlab = await startFakeGitlab();
  jira = await startFakeJira(JIRA_BOT);
  gitlab.projects.project(PROJECT);
  // Reconciliation may look at changes up to now: the tests say when webhooks were lost.
  process.env.SYNC_SETTLE_SECONDS = '0';
  // Its own runtime: the reconciliation schedule it runs reaches every org's mappings.
  hub = await startRuntime({ own: true });
  admin = client(hub);
  orgId = ((await admin('POST', '/v1/orgs', { name: 'GitLab Co', slug: 'gitlab-co' })).json as Json).id;
  const connect = async (
    provider: 'jira' | 'gitlab',
    baseUrl: string,
    credentials: Json,
    fake: FakeGitlab | FakeJira,
  ) => {
    const con = (
      await admin('POST', `/v1/orgs/${orgId}/connections`, { provider, name: provider, config: { baseUrl } })
    ).json as Json;
    const set = await admin('PUT', `/v1/orgs/${orgId}/connections/${con.id}/credentials`, credentials);
    if (set.status !== 200)
      throw new Error(`credentials for ${provider}: ${set.status} ${JSON.stringify(set.json)}`);
    fake.webhooks.setTarget({ url: `${hub.url}${con.webhookUrl}`, secret: con.webhookSecret });
    if (provider === 'gitlab') gitlabSecret = con.webhookSecret;
    return con.id as string;
  };
  jiraConnection = await connect('jira', jira.url, { kind: 'jira_api_token', ...JIRA_BOT }, jira);
  gitlabConnection = await connect(
    'gitlab',
    gitlab.url,
    { kind: 'gitlab_token', token: GITLAB_HUB.token },
    gitlab,
  );
  const mapping = await admin('POST', `/v1/orgs/${orgId}/mappings`, {
    tracker: { connectionId: jiraConnection, project: 'WEB' },
    codeHost: { connectionId: gitlabConnection, repository: PROJECT },
    users: [{ tracker: JIRA_HUMAN.accountId, codeHost: GITLAB_HUMAN.username }],
    labels: { rename: [{ tracker: 'bug', codeHost: 'type::bug' }] },
  });
  expect(mapping.status).toBe(201);
}, 180_000);

afterAll(async () => {
  await hub?.stop();
  await gitlab?.stop();
  await jira?.stop();
});

describe('Jira ↔ GitLab issue sync', () => {
  it('creates and links a GitLab issue for a new Jira issue, with its fields translated', async () => {
    const created = await createJiraIssue('Login page times out', 'Users wait **forever**.', {
      labels: ['bug', 'frontend'],
      assignee: { accountId: JIRA_HUMAN.accountId },
    });
    const link = await linkFor(created.key);
    const issue = gitlabIssue(iidOf(link));
    expect(issue).toMatchObject({
      title: 'Login page times out',
      description: 'Users wait **forever**.',
      state: 'opened',
    });
    expect([...(issue.labels as string[])].sort()).toEqual(['frontend', 'type::bug']);
    expect((issue.assignees as Json[]).map((a) => a.username)).toEqual([GITLAB_HUMAN.username]);
    expect(link).toMatchObject({
      tracker: { key: created.key, provider: 'jira' },
      codeHost: { key: `${PROJECT}#${iidOf(link)}`, provider: 'gitlab', container: PROJECT },
      revision: 1,
    });
    // The GitLab issue the hub opened comes back as a webhook: recognised as its own, nothing more happens.
    await quiet();
    expect(jira.issues.size).toBe(1);
    expect((await read(`/v1/orgs/${orgId}/links/${link.id}`)).revision).toBe(1);
  }, 120_000);

  it('carries a GitLab edit to Jira, and the echo of that write stops there', async () => {
    const created = await createJiraIssue('Search is slow', 'Takes 3 s.');
    const link = await linkFor(created.key);
    const putsBefore = calls(gitlab, 'PUT', /\/issues\/\d+$/);
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, {
      title: 'Search is slow on mobile',
      labels: 'type::bug',
    });
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'Search is slow on mobile' ? true : undefined,
    );
    await eventually(async () => (jiraIssue(created.key).fields.labels.includes('bug') ? true : undefined));
    await quiet();
    // Only the person's own PUT: the hub's write to Jira, echoed back by Jira's webhook, is not synced again.
    expect(calls(gitlab, 'PUT', /\/issues\/\d+$/)).toBe(putsBefore + 1);
    const after = await read(`/v1/orgs/${orgId}/links/${link.id}`);
    expect(after.fields.title).toMatchObject({ value: 'Search is slow on mobile', side: 'codeHost' });
    expect(after.pending).toEqual({ tracker: [], codeHost: [] });
  });

  it('closes the GitLab issue when the Jira status changes, and mirrors comments once each way', async () => {
    const created = await createJiraIssue('Dark mode', 'Please.');
    const link = await linkFor(created.key);
    const { transitions } = await asHuman('jira', 'GET', `/rest/api/3/issue/${created.key}/transitions`);
    const done = (transitions as Json[]).find((t) => t.to.name === 'Done');
    await asHuman('jira', 'POST', `/rest/api/3/issue/${created.key}/transitions`, {
      transition: { id: done?.id },
    });
    await eventually(async () => (gitlabIssue(iidOf(link)).state === 'closed' ? true : undefined));

    await asHuman('jira', 'POST', `/rest/api/3/issue/${created.key}/comment`, {
      body: adf('Shipped in 2.1'),
    });
    const mirrored = await eventually(async () => gitlabNotes(iidOf(link))[0]);
    // With the marker a retry finds it by, as an HTML comment GitLab does not render.
    expect(mirrored.body).toMatch(/Shipped in 2\.1\n\n<!-- integration-hub:hub-[0-9a-f]{24} -->$/);
    await asHuman('gitlab', 'POST', `/projects/${project}/issues/${iidOf(link)}/notes`, {
      body: 'Confirmed',
    });
    await eventually(async () => (jiraIssue(created.key).comments.length === 2 ? true : undefined));
    await quiet();
    expect(jiraIssue(created.key).comments).toHaveLength(2);
    expect(gitlabNotes(iidOf(link))).toHaveLength(2);
  });

  it('moves the Jira issue along the mapping as a merge request naming its key is opened, approved and merged', async () => {
    const created = await createJiraIssue('Add CSV export', 'For reports.');
    const link = await linkFor(created.key);
    await asHuman('gitlab', 'POST', `/projects/${project}/repository/branches`, {
      branch: `${created.key}-csv`,
      ref: 'main',
    });
    const mr = await asHuman('gitlab', 'POST', `/projects/${project}/merge_requests`, {
      title: 'CSV export',
      source_branch: `${created.key}-csv`,
      target_branch: 'main',
      description: `Closes #${iidOf(link)}`,
    });
    await eventually(async () =>
      jiraIssue(created.key).fields.status.name === 'In Progress' ? true : undefined,
    );
    expect(jiraIssue(created.key).remoteLinks[0]).toMatchObject({ object: { url: mr.web_url } });
    gitlab.projects.approve(PROJECT, mr.iid, GITLAB_HUMAN);
    await eventually(async () =>
      jiraIssue(created.key).fields.status.name === 'In Review' ? true : undefined,
    );
    gitlab.projects.merge(PROJECT, mr.iid, GITLAB_HUMAN);
    await eventually(async () => (jiraIssue(created.key).fields.status.name === 'Done' ? true : undefined));
    // `Closes #n` closed the GitLab issue as the merge landed; Done pairs with closed either way.
    await eventually(async () => (gitlabIssue(iidOf(link)).state === 'closed' ? true : undefined));
    // The link records the merge after the tracker's transition (its own write): waited for.
    const after = await eventually(async () => {
      const link_ = await read(`/v1/orgs/${orgId}/links/${link.id}`);
      return (link_.pullRequests as { state: string }[] | undefined)?.[0]?.state === 'merged'
        ? link_
        : undefined;
    });
    expect(after.pullRequests).toEqual([
      expect.objectContaining({ number: mr.iid, url: mr.web_url, state: 'merged' }),
    ]);
  });

  it('opens a branch and a draft merge request for a linked issue, linked back in Jira, without moving it', async () => {
    const created = await createJiraIssue('Rate limit the API', 'Per key.');
    const link = await linkFor(created.key);
    const opened = (await admin('POST', `/v1/orgs/${orgId}/links/${link.id}/branch`, {})) as {
      status: number;
      json: Json;
    };
    expect(opened.status).toBe(200);
    expect(opened.json.branch).toBe(`${created.key}-rate-limit-the-api`);
    const mr = gitlab.projects.mergeRequest(PROJECT, opened.json.pullRequests[0].number) as Json;
    expect(mr).toMatchObject({ draft: true, source_branch: `${created.key}-rate-limit-the-api` });
    expect(String(mr.title)).toMatch(/^Draft: /);
    expect(String(mr.description)).toContain(`Closes #${iidOf(link)}`);
    await quiet();
    expect(jiraIssue(created.key).fields.status.name).toBe('To Do');
  });

  it('resolves a conflict by the latest change and keeps the losing value in the history', async () => {
    const created = await createJiraIssue('Old title', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    jira.webhooks.hold();
    gitlab.webhooks.hold();
    await asHuman('jira', 'PUT', `/rest/api/3/issue/${created.key}`, {
      fields: { summary: 'Title from Jira' },
    });
    await new Promise((r) => setTimeout(r, 1100));
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, {
      title: 'Title from GitLab',
    });
    // The later change arrives first; the earlier one arrives after it.
    await gitlab.webhooks.release();
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'Title from GitLab' ? true : undefined,
    );
    await jira.webhooks.release();
    await quiet();
    expect(gitlabIssue(iidOf(link)).title).toBe('Title from GitLab');
    expect(jiraIssue(created.key).fields.summary).toBe('Title from GitLab');
    const after = await read(`/v1/orgs/${orgId}/links/${link.id}`);
    expect(after.history[0]).toMatchObject({
      field: 'title',
      rule: 'latest',
      kept: { value: 'Title from GitLab', side: 'codeHost' },
      lost: { value: 'Title from Jira', side: 'tracker' },
    });
  });

  it('applies out-of-order deliveries so the newest change stands', async () => {
    const created = await createJiraIssue('Version 1', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    gitlab.webhooks.hold();
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, { title: 'Version 2' });
    await new Promise((r) => setTimeout(r, 50));
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, { title: 'Version 3' });
    await gitlab.webhooks.release('reverse');
    await eventually(async () => (jiraIssue(created.key).fields.summary === 'Version 3' ? true : undefined));
    await quiet();
    expect(jiraIssue(created.key).fields.summary).toBe('Version 3');
  });

  it('still syncs a change whose webhook was lost, through the scheduled reconciliation', async () => {
    const created = await createJiraIssue('Webhook gets lost', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    gitlab.webhooks.dropNext();
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, { title: 'Arrives anyway' });
    await quiet(500);
    expect(jiraIssue(created.key).fields.summary).toBe('Webhook gets lost');
    const run = await fetch(`${hub.url}/_local/schedules/reconcileSync`, { method: 'POST' });
    expect(await run.json()).toMatchObject({ queued: 1, skipped: 0 });
    await eventually(async () =>
      jiraIssue(created.key).fields.summary === 'Arrives anyway' ? true : undefined,
    );
    // Reconciliation listed the project's issues updated since the cursor, oldest first.
    expect(calls(gitlab, 'GET', new RegExp(`^/api/v4/projects/${PROJECT}/issues$`))).toBeGreaterThan(0);
  });

  it('backfills a new mapping in checkpointed pages, GitLab listed page by page, and links everything once', async () => {
    const OLD = 'acme/old';
    gitlab.projects.project(OLD);
    for (let n = 1; n <= 3; n += 1)
      await asHuman('jira', 'POST', '/rest/api/3/issue', {
        fields: { project: { key: 'OLD' }, issuetype: { name: 'Task' }, summary: `Old Jira ${n}` },
      });
    for (let n = 1; n <= 3; n += 1)
      await asHuman('gitlab', 'POST', `/projects/${encodeURIComponent(OLD)}/issues`, {
        title: `Old GitLab ${n}`,
      });
    await quiet(300);
    const mapping = (
      await admin('POST', `/v1/orgs/${orgId}/mappings`, {
        tracker: { connectionId: jiraConnection, project: 'OLD' },
        codeHost: { connectionId: gitlabConnection, repository: OLD },
      })
    ).json as Json;
    // Two issues a page: the three old ones and the three the Jira page creates take three pages.
    gitlab.setMaxPerPage(2);
    const from = gitlab.calls.length;
    try {
      const started = await admin('POST', `/v1/orgs/${orgId}/mappings/${mapping.id}/backfill`);
      expect(started.status).toBe(202);
      expect(started.json).toMatchObject({ status: 'running', total: 6, processed: 0 });
      expect((await admin('POST', `/v1/orgs/${orgId}/mappings/${mapping.id}/backfill`)).status).toBe(409);
      await eventually(async () => {
        const json = await read(`/v1/orgs/${orgId}/mappings/${mapping.id}/backfill`);
        return json.status === 'completed' ? json : undefined;
      }, 60_000);
    } finally {
      gitlab.setMaxPerPage(null);
    }
    // The scan's own listing (the estimate asks for one issue): page after page, in order.
    const listed = gitlab.calls
      .slice(from)
      .filter((c) => c.method === 'GET' && c.path === `/api/v4/projects/${OLD}/issues` && c.status === 200)
      .map((c) => new URLSearchParams(c.query))
      .filter((q) => q.get('per_page') !== '1')
      .map((q) => q.get('page'));
    // (A page retried after a lost answer is asked for again: the pages, not the requests, count.)
    expect([...new Set(listed)]).toEqual(['1', '2', '3']);
    const job = JSON.parse(
      runCli(hub, ['mappings', 'backfill', orgId, mapping.id, '--status']).stdout,
    ) as Json;
    // One Jira page, then GitLab's three, each checkpointed as it finished.
    expect(job).toMatchObject({
      status: 'completed',
      created: 6,
      failed: 0,
      etaSeconds: 0,
      pages: 4,
      lastError: null,
    });
    // The counterparts the Jira page made are listed too: linked already, unchanged.
    expect(job.processed - job.unchanged).toBe(6);
    await quiet();
    const oldLinks = ((await read(`/v1/orgs/${orgId}/links?limit=100`)).items as Json[]).filter(
      (l) => l.mappingId === mapping.id,
    );
    expect(oldLinks).toHaveLength(6);
    expect(new Set(oldLinks.map((l) => l.codeHost.key)).size).toBe(6);
    expect(gitlab.projects.listIssues(OLD, new URLSearchParams())).toHaveLength(6);
    expect([...jira.issues.values()].filter((i) => i.key.startsWith('OLD-'))).toHaveLength(6);
  });

  it('rides out a Jira outage through retries, losing nothing', async () => {
    const created = await createJiraIssue('Flaky', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    const before = (await read(`/v1/orgs/${orgId}/connections/${gitlabConnection}/status`)).sync.failures;
    jira.setOutage(503);
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, {
      title: 'Written during the outage',
    });
    const failing = await eventually(async () => {
      const json = await read(`/v1/orgs/${orgId}/connections/${gitlabConnection}/status`);
      return json.sync.failures > before ? json : undefined;
    });
    expect(failing.sync.lastError.message).toContain('503');
    jira.setOutage(null);
    await eventually(
      async () => (jiraIssue(created.key).fields.summary === 'Written during the outage' ? true : undefined),
      30_000,
    );
    expect(await read(`/v1/orgs/${orgId}/connections/${gitlabConnection}/status`)).toMatchObject({
      status: 'active',
      deadLetters: 0,
    });
  }, 60_000);

  it('rides out a GitLab rate limit (429 with Retry-After) on the way back, losing nothing', async () => {
    const created = await createJiraIssue('Limited', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    gitlab.failNext(429, { 'retry-after': '1' });
    await asHuman('jira', 'PUT', `/rest/api/3/issue/${created.key}`, {
      fields: { summary: 'After the limit' },
    });
    await eventually(
      async () => (gitlabIssue(iidOf(link)).title === 'After the limit' ? true : undefined),
      30_000,
    );
  }, 60_000);

  it('parks a change Jira refuses the credentials for in the DLQ, and redrives it once fixed', async () => {
    const created = await createJiraIssue('Parked then redriven', 'x');
    const link = await linkFor(created.key);
    await quiet(300);
    jira.setOutage(401);
    await asHuman('gitlab', 'PUT', `/projects/${project}/issues/${iidOf(link)}`, {
      title: 'After the redrive',
    });
    const parked = await eventually(async () => {
      const items = (await read(`/v1/orgs/${orgId}/dead-letters`)).items as Json[];
      return items.find((d) => d.queue === 'sync' && String(d.reason).includes('ProviderAuthError'));
    });
    expect(parked).toMatchObject({ eventType: 'work_item.updated', attempts: 1 });
    expect((await read(`/v1/orgs/${orgId}/connections/${jiraConnection}`)).status).toBe('needs_attention');
    expect((await read(`/v1/orgs/${orgId}/connections/${gitlabConnection}`)).status).toBe('active');
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

  it('keeps a confidential GitLab issue and the notes on it out of Jira, while an ordinary one is synced', async () => {
    const summaries = () => [...jira.issues.values()].map((i) => i.fields.summary as string);
    const hidden = await asHuman('gitlab', 'POST', `/projects/${project}/issues`, {
      title: 'Session tokens leak in logs',
      confidential: true,
    });
    await asHuman('gitlab', 'POST', `/projects/${project}/issues/${hidden.iid}/notes`, {
      body: 'Repro: grep the access log',
    });
    await asHuman('gitlab', 'POST', `/projects/${project}/issues`, { title: 'Typo on the pricing page' });
    // The ordinary issue, opened after the confidential one, gets its Jira counterpart.
    await eventually(async () => (summaries().includes('Typo on the pricing page') ? true : undefined));
    await quiet();
    expect(summaries()).not.toContain('Session tokens leak in logs');
    // Acknowledged (GitLab keeps the hook enabled), and nothing published for them.
    const confidential = gitlab.webhooks.sent.filter((d) => d.event.startsWith('Confidential'));
    expect(confidential.map((d) => [d.event, d.status])).toEqual([
      ['Confidential Issue Hook', 202],
      ['Confidential Note Hook', 202],
    ]);
    const links = (await read(`/v1/orgs/${orgId}/links?limit=100`)).items as Json[];
    expect(links.map((l) => l.codeHost.key)).not.toContain(`${PROJECT}#${hidden.iid}`);
  });

  it('acknowledges a correctly signed event it does not use (a system hook, an unknown type) with 202 {ignored: true}, publishing nothing', async () => {
    const con = await read(`/v1/orgs/${orgId}/connections/${gitlabConnection}`);
    const post = (event: string, uuid: string, body: string) =>
      fetch(`${hub.url}${con.webhookUrl}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': event,
          'x-gitlab-event-uuid': uuid,
          'x-gitlab-token': gitlabSecret,
        },
        body,
      });
    const deliveries = [
      // GitLab's documented project creation, as a system hook sends it (and a group's project hook).
      ['System Hook', 'ignored-system-1', JSON.stringify(gitlabFixture('project-create'))],
      // A documented event the hub does not use, and one no GitLab version sends yet.
      ['Wiki Page Hook', 'ignored-wiki-1', JSON.stringify(gitlabFixture('wiki-page'))],
      ['Future Feature Hook', 'ignored-future-1', '{"object_kind":"future_feature"}'],
    ] as const;
    for (const [event, uuid, body] of deliveries) {
      const res = await post(event, uuid, body);
      expect({ event, status: res.status, body: await res.json() }).toEqual({
        event,
        status: 202,
        body: { ignored: true },
      });
    }
    // The same system hook with a wrong token is refused: the 202s above were the token's doing.
    const forged = await fetch(`${hub.url}${con.webhookUrl}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'System Hook',
        'x-gitlab-event-uuid': 'ignored-system-2',
        'x-gitlab-token': 'wrong-token',
      },
      body: JSON.stringify(gitlabFixture('project-create')),
    });
    expect(forged.status).toBe(401);
    // Nothing was published for them: no event in the feed came from those deliveries.
    await quiet();
    const feed = (await read(`/v1/orgs/${orgId}/events?limit=100`)).items as Json[];
    expect(feed.filter((e) => String(e.raw?.deliveryId).startsWith('ignored-'))).toEqual([]);
    // And every delivery the fake made in this file was answered without a 5xx.
    expect(gitlab.webhooks.sent.filter((d) => d.status >= 500)).toEqual([]);
  });
});
