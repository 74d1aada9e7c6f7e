import type { Connection } from '../../../../../shared/connectors/connection';
import { gitlabApi, gitlabFailure } from '../../../../../shared/connectors/gitlab/client';
import { gitlabProvider } from '../../../../../shared/connectors/gitlab/module';
import {
  gitlabClientOn,
  gitlabOperations,
  gitlabWorkItems,
} from '../../../../../shared/connectors/gitlab/work-items';
import type { CodeHostClient } from '../../../../../shared/connectors/work-items';
import { EgressRefusedError, egressPolicy, makeEgressFetch } from '../../../../../shared/egress';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../../../../shared/errors';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import type { FakeGitlab } from '../../../../fakes/gitlab';
import { GITLAB_HUB, GITLAB_HUMAN, startFakeGitlab } from '../../../../fakes/gitlab';

const PROJECT = 'acme/platform/web';
let fake: FakeGitlab;
let seq = 0;

const nextId = () => {
  seq += 1;
  return `con_gitlab_${seq}`;
};
const connectionTo = (baseUrl: string): Connection => ({
  id: nextId(),
  orgId: 'org_gitlab',
  provider: 'gitlab' as Connection['provider'],
  name: 'GitLab',
  status: 'active',
  config: { baseUrl },
  lastError: null,
  webhookUrl: '/webhooks/gitlab/con_gitlab',
  credentials: null,
  previousSecretExpiresAt: null,
  createdAt: new Date().toISOString(),
});
const token = { kind: 'gitlab_token', token: GITLAB_HUB.token } as const;
const open = (): CodeHostClient => gitlabWorkItems.open(connectionTo(fake.url), token as never, {});

/** The webhooks the fake sent meanwhile, normalised as the hub would. */
const received: CanonicalEvent[] = [];

beforeAll(async () => {
  fake = await startFakeGitlab();
  // Webhooks go to an in-test receiver: the provider module's own webhook part, end to end.
  const { createServer } = await import('node:http');
  const { listenOnLoopback } = await import('../../../../../lib/local/free-port');
  const hub = await listenOnLoopback(
    createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const delivery = {
        orgId: 'org_gitlab',
        connectionId: 'con_gitlab',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: new Date(),
        correlationId: 'c',
      };
      try {
        await gitlabProvider.webhook.verify('hook-secret', delivery);
        const event = gitlabProvider.webhook.normalise(delivery, gitlabProvider.webhook.deliveryId(delivery));
        if (event) received.push(event);
        res.writeHead(202).end();
      } catch {
        res.writeHead(400).end();
      }
    }),
  );
  fake.webhooks.setTarget({ url: hub.endpoint, secret: 'hook-secret' });
  stops.push(hub.stop);
  fake.projects.project(PROJECT);
});
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await fake.stop();
  await Promise.all(stops.map((s) => s()));
});

describe('GitLab as a code host, against the fake GitLab through the egress guard', () => {
  it("acts as the token's user, keyed by its user id as the normaliser keys actors", async () => {
    expect(await open().identity()).toEqual({ actor: String(GITLAB_HUB.id), creator: String(GITLAB_HUB.id) });
    expect(gitlabWorkItems.couldBeHub(String(GITLAB_HUB.id))).toBe(true);
  });

  it("a person's token is no actor the hub knows itself by, so that person's own edits are not taken for echoes", async () => {
    const human = gitlabWorkItems.open(
      connectionTo(fake.url),
      { kind: 'gitlab_token', token: GITLAB_HUMAN.token } as never,
      {},
    );
    const identity = await human.identity();
    // Items the hub created are still its own by their creator.
    expect(identity.creator).toBe(String(GITLAB_HUMAN.id));
    expect(identity.actor).not.toBe(String(GITLAB_HUMAN.id));
    const ref = (await human.createItem(PROJECT, undefined, { title: 'Filed with a personal token' })).ref;
    fake.projects.updateIssue(PROJECT, Number(ref.key.split('#')[1]), GITLAB_HUMAN, {
      title: 'Edited by the person',
    });
    await fake.webhooks.settled();
    const edited = received.find(
      (e) => e.type === 'work_item.updated' && (e.data.item as { key: string }).key === ref.key,
    ) as CanonicalEvent;
    expect(edited).toBeDefined();
    expect(gitlabWorkItems.actorOf(edited)).toBe(String(GITLAB_HUMAN.id));
    expect(gitlabWorkItems.actorOf(edited)).not.toBe(identity.actor);
  });

  it('creates an issue with labels and an assignee by username, and its webhook reads back as the same item', async () => {
    const client = open();
    const { ref, status } = await client.createItem(PROJECT, undefined, {
      title: 'Checkout fails',
      description: 'Steps: **one**',
      labels: ['bug', 'ui'],
      assignee: GITLAB_HUMAN.username,
    });
    expect(status).toBe('open');
    expect(ref.key).toMatch(/^acme\/platform\/web#\d+$/);
    expect(ref.url).toBe(`${fake.url}/${PROJECT}/-/issues/${ref.key.split('#')[1]}`);
    // The project path went URL-encoded as the API id.
    expect(fake.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: `/api/v4/projects/${PROJECT}/issues`,
      status: 201,
    });
    await fake.webhooks.settled();
    const change = gitlabWorkItems.readItem(received.at(-1) as CanonicalEvent);
    expect(change).toMatchObject({
      ref: { id: ref.id, key: ref.key },
      kind: 'created',
      fields: {
        title: 'Checkout fails',
        description: 'Steps: **one**',
        status: 'open',
        assignee: GITLAB_HUMAN.username,
        labels: ['bug', 'ui'],
      },
      actor: String(GITLAB_HUB.id),
      createdBy: String(GITLAB_HUB.id),
    });
  });

  it('updates title, state (close, reopen), labels and assignee', async () => {
    const client = open();
    const { ref } = await client.createItem(PROJECT, undefined, { title: 'A' });
    await client.updateItem(PROJECT, ref, {
      title: 'B',
      status: 'closed',
      labels: ['done'],
      assignee: GITLAB_HUMAN.username,
    });
    let issue = fake.projects.issue(PROJECT, Number(ref.key.split('#')[1]));
    expect(issue).toMatchObject({ title: 'B', state: 'closed', labels: ['done'] });
    expect((issue.assignees as { username: string }[]).map((a) => a.username)).toEqual([
      GITLAB_HUMAN.username,
    ]);
    await client.updateItem(PROJECT, ref, { status: 'open', assignee: null });
    issue = fake.projects.issue(PROJECT, Number(ref.key.split('#')[1]));
    expect(issue).toMatchObject({ state: 'opened', assignees: [] });
    await fake.webhooks.settled();
    const reopened = gitlabWorkItems.readItem(received.at(-1) as CanonicalEvent);
    expect(reopened?.changed).toEqual(expect.arrayContaining(['status', 'assignee']));
    await expect(client.updateItem(PROJECT, ref, { assignee: 'nobody-here' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('adds notes with a hidden marker and finds the one posted since a time', async () => {
    const client = open();
    const { ref } = await client.createItem(PROJECT, undefined, { title: 'Notes' });
    const before = new Date(Date.now() - 1000);
    const id = await client.addComment(PROJECT, ref, 'Synced from Jira', { marker: 'c-123' });
    await client.addComment(PROJECT, ref, 'Another');
    expect(await client.findComment(PROJECT, ref, 'c-123', before)).toBe(id);
    expect(await client.findComment(PROJECT, ref, 'c-999', before)).toBeNull();
    expect(await client.findComment(PROJECT, ref, 'c-123', new Date(Date.now() + 60_000))).toBeNull();
  });

  it('lists issues changed since a time, oldest change first, page by page, and estimates how many', async () => {
    const path = 'acme/scan';
    fake.projects.project(path);
    const client = open();
    const since = new Date(Date.now() - 1000);
    const refs = [];
    for (let i = 0; i < 53; i += 1)
      refs.push((await client.createItem(path, undefined, { title: `Issue ${i}` })).ref);
    await client.updateItem(path, refs[0] as never, { title: 'Issue 0, edited last' });
    expect(await client.estimateChangedSince(path, since)).toBe(53);
    const first = await client.changedSince(path, since, null);
    expect(first.items).toHaveLength(50);
    expect(first.next).toBe('2');
    const second = await client.changedSince(path, since, first.next);
    expect(second.next).toBeNull();
    const all = [...first.items, ...second.items];
    expect(all.at(-1)).toMatchObject({
      ref: { key: (refs[0] as { key: string }).key },
      snapshot: true,
      fields: { title: 'Issue 0, edited last' },
    });
    expect(all.map((c) => c.at)).toEqual([...all.map((c) => c.at)].sort());
    const listed = fake.calls.filter(
      (c) => c.path === `/api/v4/projects/${path}/issues` && c.method === 'GET',
    );
    expect(listed.length).toBeGreaterThanOrEqual(3);
  });

  it('leaves confidential issues out of a scan: asks GitLab for non-confidential ones only', async () => {
    const path = 'acme/secret-scan';
    fake.projects.project(path);
    const client = open();
    const since = new Date(Date.now() - 1000);
    fake.projects.createIssue(path, GITLAB_HUMAN, { title: 'Embargoed vulnerability', confidential: true });
    const open1 = (await client.createItem(path, undefined, { title: 'Public issue' })).ref;
    const { items } = await client.changedSince(path, since, null);
    expect(items.map((c) => c.ref.key)).toEqual([open1.key]);
    expect(await client.estimateChangedSince(path, since)).toBe(1);
    const listed = fake.calls.filter(
      (c) => c.path === `/api/v4/projects/${path}/issues` && c.method === 'GET',
    );
    expect(listed.every((c) => new URLSearchParams(c.query).get('confidential') === 'false')).toBe(true);
  });

  it('drops a confidential issue from a scan even when the server ignores the filter', async () => {
    const issue = (iid: number, confidential: boolean) => ({
      iid,
      title: `Issue ${iid}`,
      description: '',
      state: 'opened',
      confidential,
      web_url: `${fake.url}/${PROJECT}/-/issues/${iid}`,
      updated_at: new Date().toISOString(),
      assignees: [],
      labels: [],
    });
    const api = {
      issues: {
        all: async () => ({ data: [issue(1, true), issue(2, false)], paginationInfo: { next: null } }),
      },
    };
    const client = gitlabClientOn(connectionTo(fake.url), api as never);
    const { items } = await client.changedSince(PROJECT, new Date(0), null);
    expect(items.map((c) => c.ref.key)).toEqual([`${PROJECT}#2`]);
  });

  it('creates a branch, keeps one that exists, and refuses an unknown base', async () => {
    const client = open();
    await client.createBranch(PROJECT, 'PROJ-7-checkout', 'main');
    await expect(client.createBranch(PROJECT, 'PROJ-7-checkout', 'main')).resolves.toBeUndefined();
    await expect(client.createBranch(PROJECT, 'other', 'no-such-base')).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('opens a draft merge request naming the key and closing the issue; reviewers and approvals read back', async () => {
    const client = open();
    const { ref } = await client.createItem(PROJECT, undefined, { title: 'Issue for a MR' });
    await client.createBranch(PROJECT, 'PROJ-8-fix', 'main');
    const mr = await client.openPullRequest(PROJECT, {
      title: 'PROJ-8: fix it',
      head: 'PROJ-8-fix',
      base: 'main',
      body: 'For PROJ-8',
      draft: true,
      closes: ref,
    });
    expect(mr).toMatchObject({ draft: true, url: `${fake.url}/${PROJECT}/-/merge_requests/${mr.number}` });
    const stored = fake.projects.mergeRequest(PROJECT, mr.number);
    expect(stored.title).toBe('Draft: PROJ-8: fix it');
    expect(stored.description).toContain(`Closes #${ref.key.split('#')[1]}`);
    await fake.webhooks.settled();
    const opened = gitlabWorkItems.readPullRequest(received.at(-1) as CanonicalEvent);
    // The hub's own merge request moves no tracker item when it opens.
    expect(opened).toMatchObject({ stage: 'opened', byBot: true, number: mr.number });
    expect(opened?.text).toContain('PROJ-8');

    fake.projects.approve(PROJECT, mr.number, GITLAB_HUMAN);
    const api = await gitlabApi(connectionTo(fake.url), token);
    expect(await gitlabOperations(api).pullRequestState(PROJECT, mr.number)).toMatchObject({
      state: 'opened',
      draft: true,
      approved: true,
      approvedBy: [GITLAB_HUMAN.username],
    });
    fake.projects.merge(PROJECT, mr.number, GITLAB_HUMAN);
    await fake.webhooks.settled();
    const stages = received.map((e) => gitlabWorkItems.readPullRequest(e)?.stage).filter(Boolean);
    expect(stages.slice(-2)).toEqual(['approved', 'merged']);
    // Merging closed the issue, as GitLab does with `Closes #n`.
    expect(gitlabWorkItems.readItem(received.at(-1) as CanonicalEvent)).toMatchObject({
      ref: { id: ref.id },
      fields: { status: 'closed' },
    });
  });
});

describe("GitLab's refusals, as the hub's provider errors", () => {
  it('a 429 waits what Retry-After says, or until RateLimit-Reset', async () => {
    const client = open();
    fake.failNext(429, { 'retry-after': '17' });
    const limited = await client.identity().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ProviderRateLimitedError);
    expect((limited as ProviderRateLimitedError).retryAfterSeconds).toBe(17);
    fake.failNext(429, { 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 42) });
    const reset = await open()
      .identity()
      .catch((e: unknown) => e);
    expect((reset as ProviderRateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(41);
    expect((reset as ProviderRateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(42);
  });

  it('a 5xx is unavailable, a 401 refused credentials, a 404 not found, and no message carries what the server said', async () => {
    for (const [status, kind] of [
      [502, ProviderUnavailableError],
      [503, ProviderUnavailableError],
      [401, ProviderAuthError],
      [403, ProviderAuthError],
    ] as const) {
      fake.failNext(status);
      const error = await open()
        .identity()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(kind);
      expect((error as Error).message).not.toMatch(/Injected|Unauthorized/);
      expect((error as Error).message).toContain(`HTTP ${status}`);
    }
    await expect(
      open().updateItem('acme/none', { id: 'x', key: 'acme/none#1', url: '' }, { title: 'x' }),
    ).rejects.toBeInstanceOf(ProviderNotFoundError);
    // Only one request per failure: the hub's failure policy retries, not gitbeaker ten times.
    fake.failNext(502);
    const before = fake.calls.length;
    await open()
      .identity()
      .catch(() => undefined);
    expect(fake.calls.length - before).toBe(1);
  });

  it('a GitLab that stops answering fails the call within the hub’s timeout', async () => {
    const api = await gitlabApi(connectionTo(fake.url), token, { timeoutMs: 150 });
    fake.stallNext(700);
    const started = Date.now();
    await expect(api.users.showCurrentUser()).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(Date.now() - started).toBeLessThan(650);
  });

  it('goes through the egress guard: a server resolving to a private address is never called', async () => {
    const guarded = makeEgressFetch({
      policy: egressPolicy(),
      resolve: async () => [{ address: '10.20.30.40', family: 4 }],
    });
    const api = await gitlabApi(connectionTo('https://gitlab.internal.example'), token, { fetch: guarded });
    await expect(api.users.showCurrentUser()).rejects.toBeInstanceOf(EgressRefusedError);
  });

  it('maps statuses without a response to unavailable', () => {
    expect(gitlabFailure(undefined)).toBeInstanceOf(ProviderUnavailableError);
    expect(gitlabFailure(422)).toBeInstanceOf(ValidationError);
  });
});

describe('the GitLab probe', () => {
  it("answers with the token's user, and a refused token is ProviderAuthError", async () => {
    const probe = gitlabProvider.probe?.({}) as NonNullable<
      ReturnType<NonNullable<typeof gitlabProvider.probe>>
    >;
    await expect(probe.test(connectionTo(fake.url), token as never)).resolves.toEqual({
      userId: GITLAB_HUB.id,
      username: GITLAB_HUB.username,
      bot: true,
    });
    await expect(
      probe.test(connectionTo(fake.url), { kind: 'gitlab_token', token: 'glpat-wrong' } as never),
    ).rejects.toBeInstanceOf(ProviderAuthError);
  });
});
