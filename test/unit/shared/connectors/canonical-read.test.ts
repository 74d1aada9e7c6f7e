import type { CanonicalReading } from '../../../../shared/connectors/canonical-read';
import {
  actorOf,
  readCommentChange,
  readItemChange,
  readPullRequestActivity,
  snapshotOf,
} from '../../../../shared/connectors/canonical-read';
import type { Normalised, Person, PullRequest, WorkItem } from '../../../../shared/events/canonical';
import { canonicalEvent } from '../../../../shared/events/canonical';

const delivery = {
  orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
  connectionId: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3',
  body: '{}',
  receivedAt: new Date('2026-11-27T10:00:05Z'),
  correlationId: 'c-1',
};
const event = (normalised: Normalised | { type: `custom.${string}`; data: Record<string, unknown> }) =>
  canonicalEvent(delivery, 'somewhere', 'd-1', { occurredAt: '2026-11-27T10:00:00Z', ...normalised });

const ann: Person = { id: 'acc-ann', login: 'ann', name: 'Ann', bot: false };
const bot: Person = { id: 'acc-bot', login: 'hub[bot]', name: null, bot: true };
const item: WorkItem = {
  id: '77',
  key: 'acme/web#7',
  url: 'https://code.example/acme/web/issues/7',
  container: 'acme/web',
  type: 'issue',
  title: 'Faster search',
  description: 'It is **slow**',
  status: { name: 'open', category: 'todo' },
  assignee: ann,
  reporter: ann,
  labels: ['perf'],
  priority: null,
  dueDate: null,
  parent: null,
  createdVia: '4242',
  createdAt: '2026-11-27T09:00:00.000Z',
  updatedAt: '2026-11-27T09:59:00.000Z',
};
const pullRequest: PullRequest = {
  id: '900',
  number: 9,
  key: 'acme/web#9',
  url: 'https://code.example/acme/web/pull/9',
  container: 'acme/web',
  title: 'Faster search',
  description: 'Closes the search issue',
  state: 'open',
  draft: false,
  sourceBranch: 'PROJ-7-search',
  targetBranch: 'main',
  author: ann,
  reviewers: [],
  mentions: ['PROJ-7'],
  createdVia: null,
  createdAt: null,
  updatedAt: null,
  mergedAt: null,
};

/** People by login, as a code host pairs them; by account id, as a tracker does. */
const byLogin: CanonicalReading = {
  personKey: (p) => p.login,
  refId: (i) => i.key.toLowerCase(),
  createdBy: (i) => i.createdVia,
};
const byId: CanonicalReading = { ...byLogin, personKey: (p) => p.id, refId: (i) => i.id };

describe('reading canonical events for a sync', () => {
  it('reads a work item change: only synced fields it names, people as the provider keys them, at the item’s time', () => {
    const updated = event({
      type: 'work_item.updated',
      data: { actor: ann, item, changedFields: ['priority', 'title', 'assignee'], changes: [] },
    });
    expect(readItemChange(updated, byLogin)).toEqual({
      ref: { id: 'acme/web#7', key: 'acme/web#7', url: item.url },
      container: 'acme/web',
      kind: 'updated',
      fields: {
        title: 'Faster search',
        description: 'It is **slow**',
        status: 'open',
        assignee: 'ann',
        labels: ['perf'],
      },
      changed: ['title', 'assignee'],
      at: '2026-11-27T09:59:00.000Z',
      actor: 'ann',
      createdBy: '4242',
      snapshot: false,
    });
    expect(readItemChange(updated, byId)).toMatchObject({
      ref: { id: '77' },
      fields: { assignee: 'acc-ann' },
      actor: 'acc-ann',
    });
    const undated = event({
      type: 'work_item.deleted',
      data: { actor: null, item: { ...item, updatedAt: null }, changedFields: [], changes: [] },
    });
    expect(readItemChange(undated, byLogin)).toMatchObject({
      kind: 'deleted',
      at: '2026-11-27T10:00:00.000Z',
      actor: null,
    });
  });

  it('reads a scan’s item as a snapshot of every field, the same as the change an event gives', () => {
    const created = event({
      type: 'work_item.created',
      data: { actor: ann, item, changedFields: ['title'], changes: [] },
    });
    const snapshot = snapshotOf(item, byLogin);
    expect(snapshot).toMatchObject({
      snapshot: true,
      actor: null,
      changed: ['title', 'description', 'status', 'assignee', 'labels'],
    });
    expect(snapshot.fields).toEqual(readItemChange(created, byLogin)?.fields);
    expect(snapshot.ref).toEqual(readItemChange(created, byLogin)?.ref);
  });

  it('reads comments by the item they are on, and nothing from other events or custom data', () => {
    const comment = event({
      type: 'comment.created',
      data: {
        actor: ann,
        comment: {
          id: 'c-1',
          body: 'Seen it',
          author: { ...ann, name: null },
          url: '',
          createdVia: null,
          createdAt: null,
          updatedAt: null,
        },
        on: { kind: 'work_item', id: '77', key: 'Acme/Web#7', url: '', container: '' },
      },
    });
    expect(readCommentChange(comment, byLogin)).toEqual({
      itemId: 'acme/web#7',
      container: null,
      id: 'c-1',
      author: 'ann',
      body: 'Seen it',
      actor: 'ann',
    });
    const custom = event({ type: 'custom.work_item', data: { item: { key: 'x' }, actor: ann } });
    expect(readItemChange(custom, byLogin)).toBeNull();
    expect(readCommentChange(custom, byLogin)).toBeNull();
    expect(actorOf(custom, byLogin)).toBeNull();
    expect(actorOf(comment, byId)).toBe('acc-ann');
  });

  it('reads a pull request’s stages, an approving review as its approval, with the keys it mentions', () => {
    const opened = event({ type: 'pull_request.opened', data: { actor: bot, pullRequest } });
    expect(readPullRequestActivity(opened)).toEqual({
      stage: 'opened',
      container: 'acme/web',
      number: 9,
      url: pullRequest.url,
      title: 'Faster search',
      text: 'PROJ-7-search\nFaster search\nCloses the search issue',
      mentions: ['PROJ-7'],
      byBot: true,
      at: '2026-11-27T10:00:00.000Z',
    });
    const stage = (n: Normalised) => readPullRequestActivity(event(n))?.stage ?? null;
    expect(stage({ type: 'pull_request.reopened', data: { actor: ann, pullRequest } })).toBe('opened');
    expect(stage({ type: 'pull_request.approved', data: { actor: ann, pullRequest } })).toBe('approved');
    expect(stage({ type: 'pull_request.merged', data: { actor: ann, pullRequest } })).toBe('merged');
    expect(stage({ type: 'pull_request.closed', data: { actor: ann, pullRequest } })).toBe('closed');
    expect(stage({ type: 'pull_request.updated', data: { actor: ann, pullRequest } })).toBeNull();
    expect(stage({ type: 'pull_request.unapproved', data: { actor: ann, pullRequest } })).toBeNull();
    const review = (state: 'approved' | 'commented') =>
      ({
        type: 'review.submitted',
        data: {
          actor: ann,
          review: { id: 'r-1', state, body: '', author: ann, submittedAt: null },
          pullRequest,
        },
      }) as const;
    expect(stage(review('approved'))).toBe('approved');
    expect(stage(review('commented'))).toBeNull();
  });
});
