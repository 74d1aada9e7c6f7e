import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { githubProvider } from '../../../../shared/connectors/github/module';
import { githubOperations } from '../../../../shared/connectors/github/operations';
import { githubWorkItems } from '../../../../shared/connectors/github/work-items';
import { UnauthenticatedError, ValidationError } from '../../../../shared/errors';
import { CANONICAL_DATA, canonicalData, isCanonicalType } from '../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../shared/events/canonical-event';
import { CanonicalEventSchema } from '../../../../shared/events/canonical-event';

const githubConnector = githubProvider.webhook;

/** GitHub's own example payloads (`@octokit/webhooks-examples`), event by event. */
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as unknown;
const byEvent = new Map(
  (examples as { name: string; examples: Record<string, unknown>[] }[]).map((e) => [e.name, e.examples]),
);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';

const delivery = (event: string, payload: unknown, headers: Record<string, string> = {}) => ({
  orgId: ORG,
  connectionId: CON,
  headers: { 'x-github-event': event, 'x-github-delivery': 'd-1', ...headers },
  body: JSON.stringify(payload),
  receivedAt: new Date('2026-11-27T10:00:00Z'),
  correlationId: 'c-1',
});

const HANDLED = [
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'push',
  'create',
  'delete',
];

describe('GitHub webhooks: verification', () => {
  const secret = 'whsec_test-secret';

  it('accepts the X-Hub-Signature-256 GitHub computes over the raw body, and nothing else', async () => {
    const payload = byEvent.get('issues')?.[0];
    const d = delivery('issues', payload);
    const signed = { ...d, headers: { ...d.headers, 'x-hub-signature-256': await sign(secret, d.body) } };
    await expect(githubConnector.verify(secret, signed)).resolves.toBeUndefined();
    await expect(githubConnector.verify('another-secret', signed)).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    await expect(githubConnector.verify(secret, { ...signed, body: `${d.body} ` })).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    await expect(githubConnector.verify(secret, d)).rejects.toThrow(/no X-Hub-Signature-256/);
    await expect(
      githubConnector.verify(secret, { ...d, headers: { ...d.headers, 'x-hub-signature-256': 'sha256=zz' } }),
    ).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('de-duplicates by X-GitHub-Delivery, which a delivery must carry', () => {
    expect(githubConnector.deliveryId(delivery('issues', {}))).toBe('d-1');
    expect(() => githubConnector.deliveryId({ ...delivery('issues', {}), headers: {} })).toThrow(
      ValidationError,
    );
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the tests read GitHub's example payloads freely
type Payload = Record<string, any>;

/** An example of the event (the first that matches), changed where the examples lack a case. */
function example(event: string, match: (p: Payload) => boolean, change: (p: Payload) => Payload = (p) => p) {
  const found = (byEvent.get(event) ?? []).find((p) => match(p as Payload));
  if (!found) throw new Error(`no ${event} example`);
  return change(structuredClone(found) as Payload);
}
function normalise(event: string, payload: unknown): CanonicalEvent {
  const normal = githubConnector.normalise(delivery(event, payload), 'd-1');
  if (!normal) throw new Error(`${event} was not published`);
  return normal;
}
const action = (name: string) => (p: Payload) => p.action === name;

describe("GitHub webhooks: normalising GitHub's example payloads", () => {
  it.each(HANDLED)(
    'turns every %s example into a canonical event whose data fits its type’s schema',
    (event) => {
      let published = 0;
      for (const payload of byEvent.get(event) ?? []) {
        const normalised = githubConnector.normalise(delivery(event, payload), 'd-1');
        // Only tag pushes are not published (create/delete of tags become tag.* events).
        if (normalised === null) {
          expect({ event, ref: payload.ref }).toEqual({
            event: 'push',
            ref: expect.stringMatching(/^refs\/tags\//),
          });
          continue;
        }
        published++;
        expect(CanonicalEventSchema.safeParse(normalised).success).toBe(true);
        expect(isCanonicalType(normalised.type)).toBe(true);
        const schema = CANONICAL_DATA[normalised.type as keyof typeof CANONICAL_DATA];
        expect(schema.safeParse(normalised.data).error).toBeUndefined();
        expect(normalised).toMatchObject({
          source: { provider: 'github', connectionId: CON },
          tenantId: ORG,
          raw: { deliveryId: 'd-1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        });
        // Nothing of GitHub's own shape is left on the event.
        expect(normalised.data).not.toHaveProperty('repository');
        expect(normalised.data).not.toHaveProperty('sender');
      }
      expect(published).toBeGreaterThan(0);
    },
  );

  it('maps actions to the canonical types: every issue change but opening and deleting is an update', () => {
    const typeOf = (event: string, match: (p: Payload) => boolean, change?: (p: Payload) => Payload) =>
      githubConnector.normalise(delivery(event, example(event, match, change)), 'd-1')?.type;
    expect(typeOf('issues', action('opened'))).toBe('work_item.created');
    expect(typeOf('issues', action('edited'))).toBe('work_item.updated');
    expect(typeOf('issues', action('reopened'))).toBe('work_item.updated');
    expect(typeOf('issues', action('opened'), (p) => ({ ...p, action: 'closed' }) as Payload)).toBe(
      'work_item.updated',
    );
    expect(typeOf('issues', action('labeled'))).toBe('work_item.updated');
    expect(typeOf('issues', action('deleted'))).toBe('work_item.deleted');
    expect(typeOf('issue_comment', action('created'))).toBe('comment.created');
    expect(typeOf('issue_comment', action('edited'))).toBe('comment.updated');
    expect(typeOf('issue_comment', action('deleted'))).toBe('comment.deleted');
    expect(typeOf('pull_request', action('opened'))).toBe('pull_request.opened');
    expect(typeOf('pull_request', action('reopened'))).toBe('pull_request.reopened');
    expect(typeOf('pull_request', action('closed'))).toBe('pull_request.closed');
    const merged = (p: Payload) => ({ ...p, pull_request: { ...p.pull_request, merged: true } });
    expect(typeOf('pull_request', action('closed'), merged)).toBe('pull_request.merged');
    expect(typeOf('pull_request', action('synchronize'))).toBe('pull_request.updated');
    expect(typeOf('pull_request_review', action('submitted'))).toBe('review.submitted');
    expect(typeOf('pull_request_review', action('dismissed'))).toBe('review.dismissed');
    const edited = (p: Payload) => ({ ...p, action: 'edited' }) as Payload;
    expect(typeOf('pull_request_review', action('submitted'), edited)).toBe('review.updated');
    expect(typeOf('push', (p) => String(p.ref).startsWith('refs/heads/'))).toBe('push');
    expect(typeOf('push', (p) => String(p.ref).startsWith('refs/tags/'))).toBeUndefined();
    const branch = (p: Payload) => ({ ...p, ref_type: 'branch', ref: 'PROJ-1-fix' }) as unknown as Payload;
    expect(typeOf('create', () => true)).toBe('tag.created');
    expect(typeOf('delete', () => true)).toBe('tag.deleted');
    expect(typeOf('create', () => true, branch)).toBe('branch.created');
    expect(typeOf('delete', () => true, branch)).toBe('branch.deleted');
  });

  it('gives an opened issue as a work item of its repository, with every field named as changed', () => {
    const payload = example('issues', action('opened'));
    const { issue, repository, sender } = payload;
    const data = canonicalData(normalise('issues', payload), 'work_item.created');
    expect(data).toEqual({
      actor: { id: String(sender.id), login: sender.login, name: null, bot: false },
      item: {
        id: String(issue.id),
        key: `${repository.full_name}#${issue.number}`,
        url: issue.html_url,
        container: repository.full_name,
        type: 'issue',
        title: issue.title,
        description: issue.body ?? '',
        status: { name: 'open', category: 'todo' },
        assignee: issue.assignee ? expect.objectContaining({ login: issue.assignee.login }) : null,
        reporter: expect.objectContaining({ login: issue.user.login }),
        labels: issue.labels.map((l: { name: string }) => l.name),
        priority: null,
        dueDate: null,
        parent: null,
        createdVia: null,
        createdAt: new Date(issue.created_at).toISOString(),
        updatedAt: new Date(issue.updated_at).toISOString(),
      },
      changedFields: expect.arrayContaining(['title', 'description', 'status', 'assignee', 'labels']),
      changes: [],
    });
  });

  it('says which fields an issue change touched, with the old values GitHub gives', () => {
    const edited = example('issues', action('edited'), (p) => ({
      ...p,
      changes: { title: { from: 'Old title' }, body: { from: 'Old body' } },
    }));
    expect(canonicalData(normalise('issues', edited), 'work_item.updated')).toMatchObject({
      changedFields: ['title', 'description'],
      changes: [
        { field: 'title', from: 'Old title', to: edited.issue.title },
        { field: 'description', from: 'Old body', to: edited.issue.body ?? '' },
      ],
    });
    const closed = example(
      'issues',
      action('opened'),
      (p) =>
        ({
          ...p,
          action: 'closed',
          issue: { ...p.issue, state: 'closed' },
        }) as Payload,
    );
    expect(canonicalData(normalise('issues', closed), 'work_item.updated')).toMatchObject({
      item: { status: { name: 'closed', category: 'done' } },
      changedFields: ['status'],
      changes: [{ field: 'status', from: 'open', to: 'closed' }],
    });
    const labeled = example('issues', action('labeled'));
    expect(canonicalData(normalise('issues', labeled), 'work_item.updated')).toMatchObject({
      changedFields: ['labels'],
      changes: [{ field: 'labels', from: '', to: 'bug' }],
    });
    expect(
      canonicalData(normalise('issues', example('issues', action('assigned'))), 'work_item.updated'),
    ).toMatchObject({
      changedFields: ['assignee'],
    });
  });

  it('gives a comment with the item it is on, a pull request when the issue is one', () => {
    const payload = example('issue_comment', action('created'));
    const data = canonicalData(normalise('issue_comment', payload), 'comment.created');
    expect(data).toMatchObject({
      comment: {
        id: String(payload.comment.id),
        body: payload.comment.body,
        url: payload.comment.html_url,
        author: { login: payload.comment.user.login },
        createdVia: null,
      },
      on: {
        kind: 'work_item',
        id: String(payload.issue.id),
        key: `${payload.repository.full_name}#${payload.issue.number}`,
        container: payload.repository.full_name,
      },
    });
    const onPr = example('issue_comment', action('created'), (p) => ({
      ...p,
      issue: { ...p.issue, pull_request: { url: 'https://api.github.com/repos/x/y/pulls/1' } },
    }));
    expect(canonicalData(normalise('issue_comment', onPr), 'comment.created')?.on.kind).toBe('pull_request');
  });

  it('gives a pull request with its branches, draft state, reviewers and the tracker keys it names', () => {
    const payload = example('pull_request', action('closed'), (p) => ({
      ...p,
      pull_request: {
        ...p.pull_request,
        merged: true,
        merged_at: '2019-05-15T15:20:33Z',
        title: 'PROJ-12: faster search',
        body: 'Also fixes PROJ-3',
        head: { ...p.pull_request.head, ref: 'PROJ-12-search' },
      },
    }));
    const pr = payload.pull_request;
    const data = canonicalData(normalise('pull_request', payload), 'pull_request.merged');
    expect(data?.pullRequest).toMatchObject({
      id: String(pr.id),
      number: pr.number,
      key: `${payload.repository.full_name}#${pr.number}`,
      url: pr.html_url,
      title: 'PROJ-12: faster search',
      description: 'Also fixes PROJ-3',
      state: 'merged',
      draft: false,
      sourceBranch: 'PROJ-12-search',
      targetBranch: pr.base.ref,
      author: { login: pr.user.login },
      reviewers: pr.requested_reviewers.map((r: { login: string }) =>
        expect.objectContaining({ login: r.login }),
      ),
      mentions: ['PROJ-12', 'PROJ-3'],
      mergedAt: '2019-05-15T15:20:33.000Z',
    });
    const draft = example('pull_request', action('converted_to_draft'));
    expect(canonicalData(normalise('pull_request', draft), 'pull_request.updated')?.pullRequest.draft).toBe(
      true,
    );
  });

  it('gives an approving review as review.submitted in state approved, with its pull request', () => {
    const payload = example('pull_request_review', action('submitted'), (p) => ({
      ...p,
      review: { ...p.review, state: 'APPROVED' },
    }));
    const data = canonicalData(normalise('pull_request_review', payload), 'review.submitted');
    expect(data).toMatchObject({
      review: {
        id: String(payload.review.id),
        state: 'approved',
        author: { login: payload.review.user.login },
      },
      pullRequest: { number: payload.pull_request.number, state: 'open' },
    });
  });

  it('gives a push with its commits, and branches and tags created or deleted', () => {
    const payload = example('push', (p) => String(p.ref).startsWith('refs/heads/') && p.commits.length > 0);
    const commits = payload.commits as unknown as {
      id: string;
      message: string;
      author: { name: string; email: string };
    }[];
    expect(canonicalData(normalise('push', payload), 'push')).toMatchObject({
      container: payload.repository.full_name,
      branch: String(payload.ref).slice('refs/heads/'.length),
      before: payload.before,
      after: payload.after,
      totalCommits: commits.length,
      commits: commits.map((c) => ({
        id: c.id,
        message: c.message,
        author: { name: c.author.name, email: c.author.email },
      })),
    });
    const branch = example(
      'create',
      () => true,
      (p) => ({ ...p, ref_type: 'branch', ref: 'PROJ-1-fix' }) as unknown as Payload,
    );
    expect(canonicalData(normalise('create', branch), 'branch.created')).toMatchObject({
      name: 'PROJ-1-fix',
      container: branch.repository.full_name,
      actor: { login: branch.sender.login },
    });
  });

  it('acknowledges, without publishing, every other event type GitHub sends', () => {
    const others = [...byEvent.keys()].filter((e) => !HANDLED.includes(e));
    expect(others.length).toBeGreaterThan(40);
    for (const event of others) {
      for (const payload of byEvent.get(event) ?? []) {
        expect({ event, result: githubConnector.normalise(delivery(event, payload), 'd-1') }).toEqual({
          event,
          result: null,
        });
      }
    }
  });

  it('refuses a body that is not a JSON object, or a delivery without an event header', () => {
    expect(() => githubConnector.normalise({ ...delivery('issues', {}), body: 'nope' }, 'd-1')).toThrow(
      ValidationError,
    );
    expect(() => githubConnector.normalise({ ...delivery('issues', {}), body: '[1]' }, 'd-1')).toThrow(
      ValidationError,
    );
    expect(() => githubConnector.normalise({ ...delivery('issues', {}), headers: {} }, 'd-1')).toThrow(
      /X-GitHub-Event/,
    );
  });
});

describe('GitHub as a sync’s code host: reading canonical events', () => {
  it('reads an issue as an item of its repository, ids unique per connection, people by login', () => {
    const payload = example('issues', action('opened'));
    const repo = String(payload.repository.full_name);
    const number = Number(payload.issue.number);
    expect(githubWorkItems.readItem(normalise('issues', payload))).toMatchObject({
      ref: { id: `${repo.toLowerCase()}#${number}`, key: `${repo}#${number}`, url: payload.issue.html_url },
      container: repo,
      kind: 'created',
      fields: {
        title: payload.issue.title,
        status: 'open',
        assignee: payload.issue.assignee?.login ?? null,
      },
      changed: ['title', 'description', 'status', 'assignee', 'labels'],
      actor: payload.sender.login,
      snapshot: false,
    });
    expect(githubWorkItems.readItem(normalise('issues', example('issues', action('deleted'))))?.kind).toBe(
      'deleted',
    );
  });

  it('reads a scanned issue exactly as the webhook of the same issue', async () => {
    const payload = example('issues', action('edited'));
    const [owner, repo] = String(payload.repository.full_name).split('/') as [string, string];
    // GitHub's issue listing returns issue objects of the webhook's shape.
    const octokit = { request: async () => ({ data: [payload.issue], headers: {} }) };
    const listed = await githubOperations(octokit as never).issuesChangedSince(
      { owner, repo },
      new Date(0),
      1,
    );
    const event = canonicalData(normalise('issues', payload), 'work_item.updated');
    expect(listed.issues).toEqual([event?.item]);
  });

  it('knows the hub’s own items and comments by its app, and its own changes by its bot', () => {
    const app = { id: 4242, slug: 'integration-hub' };
    const bot = { login: 'integration-hub[bot]', id: 99, type: 'Bot' };
    const own = example('issues', action('opened'), (p) => ({
      ...p,
      sender: bot as never,
      issue: { ...p.issue, performed_via_github_app: app },
    }));
    expect(githubWorkItems.readItem(normalise('issues', own))).toMatchObject({
      createdBy: '4242',
      actor: 'integration-hub[bot]',
    });
    expect(githubWorkItems.actorOf(normalise('issues', own))).toBe('integration-hub[bot]');
    const opened = example('pull_request', action('opened'), (p) => ({ ...p, sender: bot as never }));
    expect(githubWorkItems.readPullRequest(normalise('pull_request', opened))?.byBot).toBe(true);
  });

  it('reads comments by the issue they are on, and pull request stages with the keys they name', () => {
    const comment = example('issue_comment', action('created'));
    const repo = String(comment.repository.full_name);
    expect(githubWorkItems.readComment(normalise('issue_comment', comment))).toMatchObject({
      itemId: `${repo.toLowerCase()}#${comment.issue.number}`,
      id: String(comment.comment.id),
      body: comment.comment.body,
      author: comment.comment.user.login,
    });
    const opened = example('pull_request', action('opened'), (p) => ({
      ...p,
      pull_request: { ...p.pull_request, title: 'PROJ-7 faster search' },
    }));
    expect(githubWorkItems.readPullRequest(normalise('pull_request', opened))).toMatchObject({
      stage: 'opened',
      number: opened.pull_request.number,
      text: expect.stringContaining('PROJ-7 faster search'),
      mentions: ['PROJ-7'],
      byBot: false,
    });
    const approved = example('pull_request_review', action('submitted'), (p) => ({
      ...p,
      review: { ...p.review, state: 'approved' },
    }));
    expect(githubWorkItems.readPullRequest(normalise('pull_request_review', approved))?.stage).toBe(
      'approved',
    );
    const commented = example('pull_request_review', action('submitted'));
    expect(githubWorkItems.readPullRequest(normalise('pull_request_review', commented))).toBeNull();
    expect(githubWorkItems.readItem(normalise('pull_request', opened))).toBeNull();
  });

  it('takes only app actors for the hub, and checks repository names', () => {
    expect(githubWorkItems.couldBeHub('integration-hub[bot]')).toBe(true);
    expect(githubWorkItems.couldBeHub('octocat')).toBe(false);
    expect(githubWorkItems.checkContainer('acme/web')).toBeNull();
    expect(githubWorkItems.checkContainer('acme')).toBe('owner/name');
  });
});
