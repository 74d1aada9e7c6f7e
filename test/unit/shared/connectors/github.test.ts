import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { githubProvider } from '../../../../shared/connectors/github/module';
import { githubWorkItems } from '../../../../shared/connectors/github/work-items';
import { UnauthenticatedError, ValidationError } from '../../../../shared/errors';
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

describe("GitHub webhooks: normalising GitHub's example payloads", () => {
  it.each(HANDLED)('turns every %s example into a valid canonical event', (event) => {
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
      expect(normalised).toMatchObject({ source: { provider: 'github', connectionId: CON }, tenantId: ORG });
      expect(normalised.data).toMatchObject({ event, repository: { fullName: expect.any(String) } });
    }
    expect(published).toBeGreaterThan(0);
  });

  it('maps actions to the canonical types the sync engine uses', () => {
    // An example of the event, changed where the examples lack a case (a merged PR, a branch ref).
    const typeOf = (
      event: string,
      match: (p: Record<string, unknown>) => boolean,
      change: (p: Record<string, unknown>) => Record<string, unknown> = (p) => p,
    ) => {
      const payload = (byEvent.get(event) ?? []).find(match);
      expect(payload).toBeDefined();
      const changed = change(structuredClone(payload as Record<string, unknown>));
      return githubConnector.normalise(delivery(event, changed), 'd-1')?.type;
    };
    const opened = (p: Record<string, unknown>) => p.action === 'opened';
    expect(typeOf('issues', opened)).toBe('work_item.created');
    expect(typeOf('issues', (p) => p.action === 'edited')).toBe('work_item.updated');
    expect(typeOf('issues', (p) => p.action === 'reopened')).toBe('work_item.reopened');
    expect(typeOf('issues', opened, (p) => ({ ...p, action: 'closed' }))).toBe('work_item.closed');
    expect(typeOf('issues', (p) => p.action === 'deleted')).toBe('work_item.deleted');
    expect(typeOf('issue_comment', (p) => p.action === 'created')).toBe('comment.created');
    expect(typeOf('issue_comment', (p) => p.action === 'edited')).toBe('comment.updated');
    expect(typeOf('pull_request', opened)).toBe('pull_request.opened');
    expect(typeOf('pull_request', (p) => p.action === 'closed')).toBe('pull_request.closed');
    const merged = (p: Record<string, unknown>) => ({
      ...p,
      pull_request: { ...(p.pull_request as object), merged: true },
    });
    expect(typeOf('pull_request', (p) => p.action === 'closed', merged)).toBe('pull_request.merged');
    expect(typeOf('pull_request', (p) => p.action === 'synchronize')).toBe('pull_request.updated');
    expect(typeOf('pull_request_review', (p) => p.action === 'submitted')).toBe('review.submitted');
    expect(typeOf('pull_request_review', (p) => p.action === 'dismissed')).toBe('review.dismissed');
    expect(typeOf('push', (p) => String(p.ref).startsWith('refs/heads/'))).toBe('branch.pushed');
    expect(typeOf('push', (p) => String(p.ref).startsWith('refs/tags/'))).toBeUndefined();
    const branch = (p: Record<string, unknown>) => ({ ...p, ref_type: 'branch', ref: 'PROJ-1-fix' });
    expect(typeOf('create', () => true)).toBe('tag.created');
    expect(typeOf('create', () => true, branch)).toBe('branch.created');
    expect(typeOf('delete', () => true, branch)).toBe('branch.deleted');
  });

  it('keeps what a sync needs: an issue with its labels and assignees, a review with its state', () => {
    const opened = (byEvent.get('issues') ?? []).find((p) => p.action === 'opened');
    const event = githubConnector.normalise(delivery('issues', opened), 'd-1');
    const issue = (opened as { issue: { number: number; title: string } }).issue;
    expect(event?.data.workItem).toMatchObject({ kind: 'issue', number: issue.number, title: issue.title });
    const submitted = (byEvent.get('pull_request_review') ?? []).find((p) => p.action === 'submitted');
    const review = githubConnector.normalise(delivery('pull_request_review', submitted), 'd-1');
    expect(review?.data.review).toMatchObject({ state: expect.stringMatching(/^[a-z_]+$/) });
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
  const normalised = (event: string, match: (p: Record<string, unknown>) => boolean) => {
    const payload = (byEvent.get(event) ?? []).find(match);
    const normal = githubConnector.normalise(delivery(event, payload), 'd-1');
    if (!normal) throw new Error(`no ${event} example`);
    return { payload: payload as Record<string, Record<string, unknown>>, normal };
  };

  it('reads an issue as an item of its repository, ids unique per connection', () => {
    const { payload, normal } = normalised('issues', (p) => p.action === 'opened');
    const repo = String(payload.repository?.full_name);
    const number = Number(payload.issue?.number);
    expect(githubWorkItems.readItem(normal)).toMatchObject({
      ref: { id: `${repo.toLowerCase()}#${number}`, key: `${repo}#${number}`, url: payload.issue?.html_url },
      container: repo,
      kind: 'created',
      fields: { title: payload.issue?.title, status: 'open' },
      changed: ['title', 'description', 'status', 'assignee', 'labels'],
      actor: (payload.sender as { login: string }).login,
    });
    expect(githubWorkItems.readItem(normalised('issues', (p) => p.action === 'deleted').normal)?.kind).toBe(
      'deleted',
    );
  });

  it('reads comments by the issue they are on, and pull request stages', () => {
    const comment = normalised('issue_comment', (p) => p.action === 'created');
    const repo = String(comment.payload.repository?.full_name);
    expect(githubWorkItems.readComment(comment.normal)).toMatchObject({
      itemId: `${repo.toLowerCase()}#${comment.payload.issue?.number}`,
      id: String(comment.payload.comment?.id),
      body: comment.payload.comment?.body,
    });
    const opened = normalised('pull_request', (p) => p.action === 'opened');
    expect(githubWorkItems.readPullRequest(opened.normal)).toMatchObject({
      stage: 'opened',
      number: opened.payload.pull_request?.number,
      text: expect.stringContaining(String(opened.payload.pull_request?.title)),
    });
    const submitted = (byEvent.get('pull_request_review') ?? []).find((p) => p.action === 'submitted');
    const approved = structuredClone(submitted as Record<string, Record<string, unknown>>);
    approved.review = { ...approved.review, state: 'approved' };
    const review = { normal: githubConnector.normalise(delivery('pull_request_review', approved), 'd-1') };
    if (!review.normal) throw new Error('no review example');
    expect(githubWorkItems.readPullRequest(review.normal)?.stage).toBe('approved');
    expect(githubWorkItems.readItem(opened.normal)).toBeNull();
  });

  it('takes only app actors for the hub, and checks repository names', () => {
    expect(githubWorkItems.couldBeHub('integration-hub[bot]')).toBe(true);
    expect(githubWorkItems.couldBeHub('octocat')).toBe(false);
    expect(githubWorkItems.checkContainer('acme/web')).toBeNull();
    expect(githubWorkItems.checkContainer('acme')).toBe('owner/name');
  });
});
