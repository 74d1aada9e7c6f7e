import { gitlabProvider } from '../../../../../shared/connectors/gitlab/module';
import { hookOf } from '../../../../../shared/connectors/gitlab/normalise';
import { person } from '../../../../../shared/connectors/gitlab/shapes';
import { gitlabWorkItems } from '../../../../../shared/connectors/gitlab/work-items';
import { UnauthenticatedError, ValidationError } from '../../../../../shared/errors';
import { CANONICAL_DATA, canonicalData } from '../../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import { CanonicalEventSchema } from '../../../../../shared/events/canonical-event';
import { gitlabFixture } from '../../../../fakes/gitlab-projects';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const SECRET = 'whsec_gitlab-secret-token';
const { webhook } = gitlabProvider;

const delivery = (hook: string, payload: unknown, headers: Record<string, string> = {}) => ({
  orgId: ORG,
  connectionId: CON,
  headers: { 'x-gitlab-event': hook, 'x-gitlab-event-uuid': 'e-1', 'x-gitlab-token': SECRET, ...headers },
  body: JSON.stringify(payload),
  receivedAt: new Date('2026-11-27T10:00:00Z'),
  correlationId: 'c-1',
});

/** Normalises a documented payload (optionally changed), checking the event and its data against the schemas. */
function normalised(hook: string, fixture: string, change: (p: Record<string, unknown>) => void = () => {}) {
  const payload = gitlabFixture(fixture);
  change(payload);
  const event = webhook.normalise(delivery(hook, payload), 'e-1') as CanonicalEvent;
  expect(event).not.toBeNull();
  expect(CanonicalEventSchema.safeParse(event).success).toBe(true);
  const schema = CANONICAL_DATA[event.type as keyof typeof CANONICAL_DATA];
  expect(schema.safeParse(event.data).error).toBeUndefined();
  expect(event.source).toEqual({ provider: 'gitlab', connectionId: CON });
  return event;
}
const attrs = (p: Record<string, unknown>) => p.object_attributes as Record<string, unknown>;

describe('GitLab webhooks: the secret token', () => {
  it('accepts the X-Gitlab-Token that is the connection secret, and refuses a wrong, shorter or missing one', async () => {
    const d = delivery('Issue Hook', gitlabFixture('issue'));
    await expect(webhook.verify(SECRET, d)).resolves.toBeUndefined();
    await expect(webhook.verify('another-secret', d)).rejects.toBeInstanceOf(UnauthenticatedError);
    // A prefix of the secret (a different length) is refused without throwing on the length mismatch.
    const prefix = { ...d, headers: { ...d.headers, 'x-gitlab-token': SECRET.slice(0, 5) } };
    await expect(webhook.verify(SECRET, prefix)).rejects.toBeInstanceOf(UnauthenticatedError);
    const { 'x-gitlab-token': _, ...without } = d.headers;
    await expect(webhook.verify(SECRET, { ...d, headers: without })).rejects.toThrow(/no X-Gitlab-Token/);
  });

  it('compares digests of equal length, so the time taken says nothing about the token', async () => {
    const { createHash, timingSafeEqual } = await import('node:crypto');
    // The comparison the check makes: equal-length SHA-256 digests, whatever the lengths given.
    const a = createHash('sha256').update('x').digest();
    const b = createHash('sha256').update('a much longer token than x').digest();
    expect(a.length).toBe(b.length);
    expect(timingSafeEqual(a, b)).toBe(false);
    const d = delivery('Issue Hook', {}, { 'x-gitlab-token': 'a much longer token than x' });
    await expect(webhook.verify('x', d)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe('GitLab webhooks: delivery ids', () => {
  it('de-duplicates by Idempotency-Key, else by X-Gitlab-Event-UUID, and refuses a delivery with neither', () => {
    expect(webhook.deliveryId(delivery('Issue Hook', {}))).toBe('e-1');
    // GitLab reuses the event UUID for the hooks one event sets off; the key is per delivery.
    expect(webhook.deliveryId(delivery('Issue Hook', {}, { 'idempotency-key': 'k-9' }))).toBe('k-9');
    const { 'x-gitlab-event-uuid': _, ...rest } = delivery('Issue Hook', {}).headers;
    expect(
      webhook.deliveryId({ ...delivery('Issue Hook', {}), headers: { ...rest, 'idempotency-key': 'k-9' } }),
    ).toBe('k-9');
    expect(() => webhook.deliveryId({ ...delivery('Issue Hook', {}), headers: rest })).toThrow(
      ValidationError,
    );
  });

  it('refuses an id longer than 200 characters or with characters outside [A-Za-z0-9._:-]', () => {
    const uuid = '8f2c7a4e-1b3d-4c5e-9f60-7a8b9c0d1e2f';
    expect(webhook.deliveryId(delivery('Issue Hook', {}, { 'x-gitlab-event-uuid': uuid }))).toBe(uuid);
    expect(webhook.deliveryId(delivery('Issue Hook', {}, { 'idempotency-key': 'a'.repeat(200) }))).toBe(
      'a'.repeat(200),
    );
    for (const bad of ['a'.repeat(201), 'k 1', 'k/1', 'k#1', 'ключ', 'k\n1'])
      for (const header of ['idempotency-key', 'x-gitlab-event-uuid'])
        expect(() => webhook.deliveryId(delivery('Issue Hook', {}, { [header]: bad }))).toThrow(
          ValidationError,
        );
  });
});

describe("GitLab webhooks: GitLab's documented payloads, as canonical events", () => {
  it('an opened issue becomes work_item.created with the item whole', () => {
    const event = normalised('Issue Hook', 'issue');
    expect(event.type).toBe('work_item.created');
    const data = canonicalData(event, 'work_item.created');
    expect(data?.item).toMatchObject({
      id: 'gitlabhq/gitlab-test#23',
      key: 'gitlabhq/gitlab-test#23',
      url: 'http://example.com/diaspora/issues/23',
      container: 'gitlabhq/gitlab-test',
      title: 'New API: create/update/delete file',
      description: 'Create new API for manipulations with repository',
      status: { name: 'open', category: 'todo' },
      assignee: { id: '51', login: 'user1', name: 'User1' },
      reporter: { id: '51' },
      labels: ['API'],
      createdAt: '2013-12-03T17:15:43.000Z',
    });
    expect(data?.actor).toMatchObject({ id: '1', login: 'root', email: 'admin@example.com' });
    expect(event.occurredAt).toBe('2013-12-03T17:15:43.000Z');
  });

  it("an updated issue says which fields changed, with GitLab's old and new values", () => {
    const event = normalised('Issue Hook', 'issue', (p) => {
      attrs(p).action = 'update';
    });
    expect(event.type).toBe('work_item.updated');
    const data = canonicalData(event, 'work_item.updated');
    expect(data?.changedFields).toEqual(['labels']);
    expect(data?.changes).toEqual([{ field: 'labels', from: 'API', to: 'Platform' }]);
  });

  it('a closed issue is an update of its status', () => {
    const event = normalised('Issue Hook', 'issue', (p) => {
      Object.assign(attrs(p), { action: 'close', state: 'closed' });
      p.changes = { state_id: { previous: 1, current: 2 } };
    });
    const data = canonicalData(event, 'work_item.updated');
    expect(data?.item.status).toEqual({ name: 'closed', category: 'done' });
    expect(data?.changedFields).toEqual(['status']);
    expect(data?.changes).toEqual([{ field: 'status', from: 'open', to: 'closed' }]);
    expect(gitlabWorkItems.readItem(event)).toMatchObject({
      kind: 'updated',
      changed: ['status'],
      fields: { status: 'closed' },
    });
  });

  it("a comment carrying the hub's marker is the hub's own mirror, not a comment to sync, whatever its actor", () => {
    const event = normalised('Note Hook', 'note-issue', (p) => {
      attrs(p).note =
        '**Ada** commented in Jira:\n\nLooks good\n\n<!-- integration-hub:hub-0123456789abcdef01234567 -->';
    });
    expect(gitlabWorkItems.readComment(event)).toBeNull();
    expect(gitlabWorkItems.readComment(normalised('Note Hook', 'note-issue'))).not.toBeNull();
  });

  it('a comment on an issue becomes comment.created on the work item, readable by the sync', () => {
    const event = normalised('Note Hook', 'note-issue');
    expect(event.type).toBe('comment.created');
    const data = canonicalData(event, 'comment.created');
    expect(data?.comment).toMatchObject({
      id: '1241',
      body: 'Hello world',
      createdAt: '2015-05-17T17:06:40.000Z',
    });
    expect(data?.on).toEqual({
      kind: 'work_item',
      id: 'gitlab-org/gitlab-test#17',
      key: 'gitlab-org/gitlab-test#17',
      url: 'http://example.com/gitlab-org/gitlab-test/issues/17',
      container: 'gitlab-org/gitlab-test',
    });
    expect(gitlabWorkItems.readComment(event)).toMatchObject({
      itemId: 'gitlab-org/gitlab-test#17',
      author: 'root',
      actor: '1',
    });
  });

  it('a comment on a merge request becomes comment.created on the pull request, and an edited one comment.updated', () => {
    const event = normalised('Note Hook', 'note-merge-request', (p) => {
      attrs(p).action = 'update';
    });
    expect(event.type).toBe('comment.updated');
    expect(canonicalData(event, 'comment.updated')?.on).toMatchObject({
      kind: 'pull_request',
      key: 'gitlab-org/gitlab-test!1',
    });
    // Not an issue's comment: the sync does not copy it to the tracker item.
    expect(gitlabWorkItems.readComment(event)).toBeNull();
  });

  it.each([
    ['open', 'pull_request.opened', 'opened'],
    ['reopen', 'pull_request.reopened', 'opened'],
    ['update', 'pull_request.updated', null],
    ['approved', 'pull_request.approved', 'approved'],
    ['approval', 'pull_request.approved', 'approved'],
    ['unapproved', 'pull_request.unapproved', null],
    ['merge', 'pull_request.merged', 'merged'],
    ['close', 'pull_request.closed', 'closed'],
  ])('a merge request %s becomes %s (stage %s for the status automation)', (action, type, stage) => {
    const event = normalised('Merge Request Hook', 'merge-request', (p) => {
      Object.assign(attrs(p), {
        action,
        description: 'Fixes the viewport, for PROJ-7',
        state: action === 'merge' ? 'merged' : action === 'close' ? 'closed' : 'opened',
      });
    });
    expect(event.type).toBe(type);
    const pr = canonicalData(event, type as 'pull_request.opened')?.pullRequest;
    expect(pr).toMatchObject({
      number: 1,
      key: 'gitlabhq/gitlab-test!1',
      sourceBranch: 'ms-viewport',
      targetBranch: 'master',
      reviewers: [{ id: '6', login: 'user1' }],
      // Tracker-style keys in its branch (`ms-viewport` has none), title (`MS-Viewport` neither) and description.
      mentions: ['PROJ-7'],
      draft: false,
    });
    expect(gitlabWorkItems.readPullRequest(event)?.stage ?? null).toBe(stage);
    // The sync reads the keys it names from the canonical mentions, as for any code host.
    if (stage) expect(gitlabWorkItems.readPullRequest(event)?.mentions).toEqual(['PROJ-7']);
  });

  it('a merge request the hub opened (its marker) is by a bot: opening it moves no tracker item', () => {
    const event = normalised('Merge Request Hook', 'merge-request', (p) => {
      attrs(p).description = 'PROJ-7\n\nCloses #3\n\n<!-- integration-hub:opened -->';
    });
    expect(canonicalData(event, 'pull_request.opened')?.pullRequest.createdVia).toBe('integration-hub');
    expect(gitlabWorkItems.readPullRequest(event)?.byBot).toBe(true);
  });

  it('a push becomes push, with its commits and the count GitLab gives', () => {
    const event = normalised('Push Hook', 'push');
    expect(event.type).toBe('push');
    expect(canonicalData(event, 'push')).toMatchObject({
      container: 'mike/diaspora',
      branch: 'master',
      before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      created: false,
      deleted: false,
      totalCommits: 4,
      commits: [
        {
          id: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
          timestamp: '2011-12-12T12:27:31.000Z',
          author: { name: 'Jordi Mallach' },
        },
        { id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'fixed readme' },
      ],
      actor: { id: '4', login: 'jsmith' },
    });
  });

  // GitLab documents no payload of its own for these: a branch's first push has the zero SHA as
  // `before` (as its tag example shows for a new tag), its removal as `after`, with no checkout SHA.
  const ZERO_SHA = '0000000000000000000000000000000000000000';

  it('a push that creates a branch becomes branch.created, its head the pushed SHA', () => {
    const event = normalised('Push Hook', 'push', (p) => {
      Object.assign(p, { before: ZERO_SHA, ref: 'refs/heads/feature/PROJ-7' });
    });
    expect(event.type).toBe('branch.created');
    expect(canonicalData(event, 'branch.created')).toEqual({
      actor: expect.objectContaining({ id: '4', login: 'jsmith' }),
      container: 'mike/diaspora',
      name: 'feature/PROJ-7',
      sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    });
    // Without new commits (GitLab then lists none), the same.
    const bare = normalised('Push Hook', 'push', (p) => {
      Object.assign(p, { before: ZERO_SHA, commits: [], total_commits_count: 0 });
    });
    expect(bare.type).toBe('branch.created');
    expect(canonicalData(bare, 'branch.created')?.name).toBe('master');
  });

  it('a push that deletes a branch becomes branch.deleted, with no head', () => {
    const event = normalised('Push Hook', 'push', (p) => {
      Object.assign(p, {
        before: p.after,
        after: ZERO_SHA,
        checkout_sha: null,
        ref: 'refs/heads/feature/PROJ-7',
        commits: [],
        total_commits_count: 0,
      });
    });
    expect(event.type).toBe('branch.deleted');
    expect(canonicalData(event, 'branch.deleted')).toEqual({
      actor: expect.objectContaining({ id: '4', login: 'jsmith' }),
      container: 'mike/diaspora',
      name: 'feature/PROJ-7',
      sha: null,
    });
  });

  it('a tag push becomes tag.created, and a tag removed tag.deleted', () => {
    const created = normalised('Tag Push Hook', 'tag-push');
    expect(created.type).toBe('tag.created');
    expect(canonicalData(created, 'tag.created')).toMatchObject({
      name: 'v1.0.0',
      container: 'jsmith/example',
      sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
    });
    const deleted = normalised('Tag Push Hook', 'tag-push', (p) => {
      Object.assign(p, {
        before: p.after,
        after: '0000000000000000000000000000000000000000',
        checkout_sha: null,
      });
    });
    expect(deleted.type).toBe('tag.deleted');
  });

  it('a pipeline becomes pipeline.<state>, its GitLab status kept', () => {
    const event = normalised('Pipeline Hook', 'pipeline');
    expect(event.type).toBe('pipeline.succeeded');
    expect(canonicalData(event, 'pipeline.succeeded')?.pipeline).toMatchObject({
      id: '31',
      status: 'success',
      ref: 'master',
      url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
      container: 'gitlab-org/gitlab-test',
      finishedAt: '2016-08-12T15:26:29.000Z',
    });
    const failed = normalised('Pipeline Hook', 'pipeline', (p) => {
      attrs(p).status = 'failed';
    });
    expect(failed.type).toBe('pipeline.failed');
  });

  it('a job becomes build.<state> with its pipeline', () => {
    const event = normalised('Job Hook', 'job');
    expect(event.type).toBe('build.pending');
    expect(canonicalData(event, 'build.pending')).toMatchObject({
      build: {
        id: '1977',
        name: 'test',
        status: 'created',
        container: 'gitlab-org/gitlab-test',
        url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977',
      },
      pipelineId: '2366',
      actor: { id: '3' },
    });
  });
});

describe('GitLab webhooks: what the hub does not use', () => {
  it.each([
    ['Wiki Page Hook', 'wiki-page'],
    ['Deployment Hook', 'deployment'],
    ['Project Hook', 'project-create'],
    ['System Hook', 'project-create'],
    // A system hook carries merge requests and pushes too: still ignored.
    ['System Hook', 'merge-request'],
    ['Emoji Hook', 'note-issue'],
    ['Release Hook', 'tag-push'],
  ])('acknowledges a %s (%s) and ignores it', (hook, fixture) => {
    expect(webhook.normalise(delivery(hook, gitlabFixture(fixture)), 'e-1')).toBeNull();
  });

  it('ignores comments on commits and snippets, and GitLab’s own system notes', () => {
    expect(webhook.normalise(delivery('Note Hook', gitlabFixture('note-commit')), 'e-1')).toBeNull();
    const system = gitlabFixture('note-issue');
    attrs(system).system = true;
    expect(webhook.normalise(delivery('Note Hook', system), 'e-1')).toBeNull();
  });

  it('ignores other work items (tasks, epics) than issues', () => {
    const task = gitlabFixture('issue');
    task.object_kind = 'work_item';
    expect(webhook.normalise(delivery('Issue Hook', task), 'e-1')).toBeNull();
  });

  it('refuses malformed deliveries with a 4xx (ValidationError), never a 5xx', () => {
    const bad = { ...delivery('Issue Hook', {}), body: '{not json' };
    expect(() => webhook.normalise(bad, 'e-1')).toThrow(ValidationError);
    expect(() => webhook.normalise(delivery('Merge Request Hook', []), 'e-1')).toThrow(ValidationError);
    expect(() => webhook.normalise(delivery('Issue Hook', { object_kind: 'issue' }), 'e-1')).toThrow(
      ValidationError,
    );
    const { 'x-gitlab-event': _, ...headers } = delivery('Issue Hook', {}).headers;
    expect(() => webhook.normalise({ ...delivery('Issue Hook', {}), headers }, 'e-1')).toThrow(
      ValidationError,
    );
  });
});

describe('GitLab people: keyed by user id only', () => {
  it('someone with a username but no user id is no one, so a username never stands in as an id', () => {
    expect(person({ username: '1042', name: 'Numeric Name' })).toBeNull();
    expect(person({ id: 1042, username: 'ada' })).toMatchObject({ id: '1042', login: 'ada' });
    expect(person({ username: 'ada' }, 7)).toMatchObject({ id: '7', login: 'ada' });
    const event = normalised('Issue Hook', 'issue', (p) => {
      p.user = { username: '1042', name: 'No id' };
    });
    expect(gitlabWorkItems.actorOf(event)).toBeNull();
  });
});

describe('GitLab webhooks: names that every object inherits are unknown, not lookups', () => {
  const INHERITED = ['constructor', '__proto__', 'valueOf'];

  it.each(INHERITED)('ignores an X-Gitlab-Event: %s (acknowledged, nothing published)', (hook) => {
    expect(webhook.normalise(delivery(hook, gitlabFixture('issue')), 'e-1')).toBeNull();
  });

  it.each(INHERITED)('ignores a merge request whose action is %s', (action) => {
    const mr = gitlabFixture('merge-request');
    attrs(mr).action = action;
    expect(webhook.normalise(delivery('Merge Request Hook', mr), 'e-1')).toBeNull();
  });

  it.each(INHERITED)('an issue change keyed %s, or a state named so, is no field and no status', (name) => {
    const event = normalised('Issue Hook', 'issue', (p) => {
      attrs(p).action = 'update';
      p.changes = JSON.parse(
        `{"${name}": {"previous": 1, "current": 2}, "title": {"previous": "a", "current": "b"}}`,
      );
    });
    expect(canonicalData(event, 'work_item.updated')?.changedFields).toEqual(['title']);
    const mr = normalised('Merge Request Hook', 'merge-request', (p) => {
      attrs(p).state = name;
    });
    expect(canonicalData(mr, 'pull_request.opened')?.pullRequest.state).toBe('open');
    expect(hookOf(JSON.stringify({ object_kind: name }))).toBe('System Hook');
  });
});

describe('GitLab webhooks: confidential issues and internal notes stay in GitLab', () => {
  const confidentialIssue = () => {
    const issue = gitlabFixture('issue');
    attrs(issue).confidential = true;
    return issue;
  };
  const noteOnConfidentialIssue = () => {
    const note = gitlabFixture('note-issue');
    (note.issue as Record<string, unknown>).confidential = true;
    return note;
  };

  it('acknowledges a Confidential Issue Hook and publishes nothing, so no other tool gets it', () => {
    expect(webhook.normalise(delivery('Confidential Issue Hook', confidentialIssue()), 'e-1')).toBeNull();
    // Whatever the hook: an issue marked confidential is not synced.
    expect(webhook.normalise(delivery('Issue Hook', confidentialIssue()), 'e-1')).toBeNull();
    // The same documented issue, not confidential, is an event.
    expect(webhook.normalise(delivery('Issue Hook', gitlabFixture('issue')), 'e-1')).not.toBeNull();
  });

  it('acknowledges a Confidential Note Hook, a note on a confidential issue and an internal note, publishing nothing', () => {
    expect(
      webhook.normalise(delivery('Confidential Note Hook', gitlabFixture('note-issue')), 'e-1'),
    ).toBeNull();
    expect(webhook.normalise(delivery('Note Hook', noteOnConfidentialIssue()), 'e-1')).toBeNull();
    const internal = gitlabFixture('note-issue');
    attrs(internal).internal = true;
    expect(webhook.normalise(delivery('Note Hook', internal), 'e-1')).toBeNull();
    const confidential = gitlabFixture('note-issue');
    attrs(confidential).confidential = true;
    expect(webhook.normalise(delivery('Note Hook', confidential), 'e-1')).toBeNull();
  });
});

describe('GitLab webhooks: signing a delivery as GitLab sends it (the CLI, the tests)', () => {
  const sign = webhook.sign as NonNullable<typeof webhook.sign>;
  const signed = async (payload: unknown, event?: string) => {
    const body = JSON.stringify(payload);
    const headers = await sign(SECRET, body, { id: 'uuid-1', at: new Date(), event });
    return { ...delivery('', {}), headers, body };
  };

  it('sends the secret token and the event UUID, which the hub verifies and de-duplicates by', async () => {
    const d = await signed(gitlabFixture('issue'));
    await expect(webhook.verify(SECRET, d)).resolves.toBeUndefined();
    await expect(webhook.verify('another-secret', d)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(webhook.deliveryId(d)).toBe('uuid-1');
    expect(webhook.normalise(d, 'uuid-1')?.type).toBe('work_item.created');
  });

  it("names the hook by the payload's object_kind unless an event is given, as GitLab does", async () => {
    const hook = async (fixture: string, change: (p: Record<string, unknown>) => void = () => {}) => {
      const payload = gitlabFixture(fixture);
      change(payload);
      return (await signed(payload)).headers['x-gitlab-event'];
    };
    expect(await hook('issue')).toBe('Issue Hook');
    expect(
      await hook('issue', (p) => {
        attrs(p).confidential = true;
      }),
    ).toBe('Confidential Issue Hook');
    expect(await hook('note-merge-request')).toBe('Note Hook');
    expect(await hook('merge-request')).toBe('Merge Request Hook');
    expect(await hook('push')).toBe('Push Hook');
    expect(await hook('tag-push')).toBe('Tag Push Hook');
    expect(await hook('pipeline')).toBe('Pipeline Hook');
    expect(await hook('job')).toBe('Job Hook');
    expect((await signed(gitlabFixture('push'), 'System Hook')).headers['x-gitlab-event']).toBe(
      'System Hook',
    );
  });
});
