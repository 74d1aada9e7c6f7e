import type { ChatCard } from '../../../../../shared/chat/model';
import type { CanonicalType } from '../../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import {
  chatCard,
  escapeMarkdown,
  isNotable,
  itemKeyOf,
  rendererFor,
} from '../../../../../shared/notify/chat/chat-card';
import { makeChatRenderer } from '../../../../../shared/notify/chat/chat-channel';
import { aCanonicalEvent } from '../../../../support/builders';
import { anEvent } from '../rules/builders';

const names = (provider: string) => ({ tracker: 'Tracker' })[provider];
const fieldOf = (card: ChatCard, label: string) => card.fields?.find((f) => f.label === label)?.value;

/** The bounds every platform's renderer counts on (see shared/chat/model.ts). */
function expectWithinBounds(card: ChatCard) {
  expect(card.title.length).toBeGreaterThan(0);
  expect(card.title).not.toMatch(/\n/);
  expect(card.fallback.length).toBeLessThanOrEqual(300);
  expect(card.fields?.length ?? 0).toBeLessThanOrEqual(10);
  expect(card.actions?.length ?? 0).toBeLessThanOrEqual(5);
  for (const action of card.actions ?? []) if (action.kind === 'link') expect(action.url).toMatch(/^https?:/);
}

describe('the chat card of a canonical event', () => {
  it('shows a work item moved: its title linking to the item, status, assignee, what changed, provider and time', () => {
    const card = chatCard(anEvent('work_item.updated'), names);
    expect(card).toMatchObject({
      title: 'ACMEWEB-12 moved to In Progress',
      titleUrl: 'https://example.com/acme/web/items/12',
      tone: 'neutral',
      fallback: 'ACMEWEB-12 moved to In Progress',
    });
    expect(fieldOf(card, 'Status')).toBe('In Progress');
    expect(fieldOf(card, 'Assignee')).toBe('grace');
    expect(card.text).toBe('status: To Do → In Progress');
    expect(card.context).toMatch(/^Tracker · by ada · \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(card.actions).toEqual([
      { kind: 'link', label: 'Open ACMEWEB-12', url: 'https://example.com/acme/web/items/12' },
    ]);
  });

  it('turns good when a work item is done, and warns when it is deleted', () => {
    const done = anEvent('work_item.updated', (d) => {
      d.item.status = { name: 'Done', category: 'done' };
    });
    expect(chatCard(done).tone).toBe('good');
    expect(chatCard(anEvent('work_item.deleted')).tone).toBe('warning');
  });

  it('shows a pull request with its state, branch, author and repository; merged is good', () => {
    const card = chatCard(anEvent('pull_request.merged'));
    expect(card.title).toBe('PR #42 merged: Add rate limiting to the public API');
    expect(card.titleUrl).toBe('https://example.com/acme/web/pull/42');
    expect(fieldOf(card, 'State')).toBe('merged');
    expect(fieldOf(card, 'Branch')).toBe('WEB-12-rate-limits → main');
    expect(fieldOf(card, 'Author')).toBe('ada');
    expect(fieldOf(card, 'Repository')).toBe('acme/web');
    expect(card.tone).toBe('good');
    expect(chatCard(anEvent('pull_request.opened')).tone).toBe('neutral');
    expect(
      fieldOf(chatCard(anEvent('pull_request.opened', (d) => (d.pullRequest.draft = true))), 'State'),
    ).toBe('open (draft)');
  });

  it('shows a comment with what it is on, its author and its body escaped', () => {
    const card = chatCard(
      anEvent('comment.created', (d) => {
        d.comment.body = 'See [this](javascript:alert(1)) **now**';
      }),
    );
    expect(card.title).toBe('New comment on ACMEWEB-12');
    expect(fieldOf(card, 'On')).toBe('ACMEWEB-12');
    expect(fieldOf(card, 'Author')).toBe('ada');
    expect(card.text).toBe('See \\[this\\]\\(javascript:alert\\(1\\)\\) \\*\\*now\\*\\*');
    expect(chatCard(anEvent('comment.deleted')).text).toBeUndefined();
  });

  it('shows a push with its branch, commit count and commits', () => {
    const card = chatCard(anEvent('push'));
    expect(card.title).toBe('1 commit pushed to main in acme/web');
    expect(fieldOf(card, 'Branch')).toBe('main');
    expect(fieldOf(card, 'Commits')).toBe('1');
    expect(card.text).toBe('3f2c1a9 WEB-12 Limit requests per client');
  });

  it('shows a pipeline with its status and ref; failed is danger, succeeded good', () => {
    const failed = chatCard(anEvent('pipeline.failed'));
    expect(failed.title).toBe('Pipeline ci failed in acme/web');
    expect(fieldOf(failed, 'Status')).toBe('failed');
    expect(fieldOf(failed, 'Ref')).toBe('main');
    expect(failed.tone).toBe('danger');
    expect(chatCard(anEvent('pipeline.succeeded')).tone).toBe('good');
    expect(chatCard(anEvent('build.canceled')).tone).toBe('warning');
  });

  it('renders every canonical type within the card bounds', () => {
    const types: CanonicalType[] = [
      'work_item.created',
      'review.submitted',
      'branch.created',
      'tag.deleted',
      'sprint.started',
      'release.released',
    ];
    for (const type of types) expectWithinBounds(chatCard(anEvent(type)));
    expect(fieldOf(chatCard(anEvent('review.submitted')), 'Review')).toBe('approved');
  });

  it('renders an approval event with the neutral card unless a renderer for its prefix is given', () => {
    const approval: CanonicalEvent = aCanonicalEvent({
      type: 'approval.requested',
      data: { question: 'Deploy to production?', approvalId: 'apr_1' },
    });
    const card = chatCard(approval);
    expect(card.title).toBe('Event approval.requested');
    expect(card.fields).toEqual([
      { label: 'question', value: 'Deploy to production?' },
      { label: 'approvalId', value: 'apr_1' },
    ]);
    const special: ChatCard = { title: 'Decide', fallback: 'Decide' };
    const renderers = { 'approval.': () => special, 'approval.requested.x': () => card };
    expect(rendererFor(renderers, 'approval.requested')(approval)).toBe(special);
    expect(rendererFor(renderers, 'work_item.created')(anEvent('work_item.created')).title).toMatch(
      /created/,
    );
  });

  it('renders for the rule test as the card JSON', async () => {
    const rendered = await makeChatRenderer({}).render(anEvent('pull_request.merged'), {
      channel: 'chat',
      provider: 'chat-x',
      connectionId: 'con_1',
      conversation: 'C1',
    });
    expect(rendered).toMatchObject({ channel: 'chat', contentType: 'application/json' });
    expect(JSON.parse(rendered.body)).toMatchObject({ title: rendered.title, tone: 'good' });
  });

  it('escapes every character the Markdown subset gives a meaning', () => {
    expect(escapeMarkdown('a_b*c`d[e](f)<g>')).toBe('a\\_b\\*c\\`d\\[e\\]\\(f\\)\\<g\\>');
  });
});

describe('the item an event is about', () => {
  it('is the work item by its key, for the item and for comments on it', () => {
    expect(itemKeyOf(anEvent('work_item.created'))).toBe('item:ACMEWEB-12');
    expect(itemKeyOf(anEvent('work_item.updated'))).toBe('item:ACMEWEB-12');
    expect(itemKeyOf(anEvent('comment.created'))).toBe('item:ACMEWEB-12');
  });

  it('is the work item a pull request mentions (its merge updates the item card), else the PR by repository and number', () => {
    expect(itemKeyOf(anEvent('pull_request.merged'))).toBe('item:WEB-12');
    expect(itemKeyOf(anEvent('review.submitted'))).toBe('item:WEB-12');
    expect(itemKeyOf(anEvent('pull_request.opened', (d) => (d.pullRequest.mentions = [])))).toBe(
      'pr:acme/web#42',
    );
  });

  it('is the run for pipelines and builds, so a run updates its own card', () => {
    expect(itemKeyOf(anEvent('pipeline.running'))).toBe('run:acme/web:run-7');
    expect(itemKeyOf(anEvent('pipeline.failed'))).toBe('run:acme/web:run-7');
    expect(itemKeyOf(anEvent('build.succeeded'))).toBe('run:acme/web:run-7');
  });

  it('is none for a push, a branch or a custom type (each posts its own card)', () => {
    expect(itemKeyOf(anEvent('push'))).toBeNull();
    expect(itemKeyOf(anEvent('branch.created'))).toBeNull();
    expect(itemKeyOf(aCanonicalEvent({ type: 'custom.deploy', data: { id: 'x' } }))).toBeNull();
  });

  it('is bounded: a very long key is hashed', () => {
    const key = itemKeyOf(anEvent('work_item.created', (d) => (d.item.key = 'K'.repeat(500))));
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('a notable change', () => {
  it('is a merge, or a work item moved to a done status; not an ordinary update', () => {
    expect(isNotable(anEvent('pull_request.merged'))).toBe(true);
    expect(
      isNotable(
        anEvent('work_item.updated', (d) => {
          d.item.status = { name: 'Done', category: 'done' };
          d.changes = [{ field: 'status', from: 'In Progress', to: 'Done' }];
        }),
      ),
    ).toBe(true);
    expect(isNotable(anEvent('work_item.updated'))).toBe(false);
    expect(isNotable(anEvent('pull_request.approved'))).toBe(false);
  });
});
