import { CANONICAL_TYPES, canonicalData } from '../../../../../shared/events/canonical';
import { CanonicalEventSchema } from '../../../../../shared/events/canonical-event';
import { compileRule, eventFacts, explainMatch, ruleMatches } from '../../../../../shared/notify/rules/match';
import { sampleEvent } from '../../../../../shared/notify/rules/sample-event';
import { aCanonicalEvent } from '../../../../support/builders';
import { anEvent, aRule, CON, ORG } from './builders';

const matches = (
  conditions: Record<string, unknown>,
  event = anEvent('work_item.updated'),
  eventTypes = ['*'],
) => ruleMatches(compileRule(aRule({ eventTypes, conditions })), eventFacts(event));
const explain = (
  conditions: Record<string, unknown>,
  event = anEvent('work_item.updated'),
  eventTypes = ['*'],
) => explainMatch(compileRule(aRule({ eventTypes, conditions })), eventFacts(event));

describe('notification rule matching', () => {
  it('matches event types exactly, by prefix pattern, and by *', () => {
    const merged = anEvent('pull_request.merged');
    expect(matches({}, merged, ['pull_request.merged'])).toBe(true);
    expect(matches({}, merged, ['pull_request.*'])).toBe(true);
    expect(matches({}, merged, ['*'])).toBe(true);
    expect(matches({}, merged, ['pull_request.opened', 'review.*'])).toBe(false);
    expect(matches({}, merged, ['work_item.*'])).toBe(false);
  });

  it('matches the project or repository of each kind of event, case-insensitively', () => {
    const inWeb = (type: Parameters<typeof anEvent>[0]) => anEvent(type);
    for (const type of [
      'work_item.created',
      'pull_request.opened',
      'review.submitted',
      'comment.created',
      'push',
      'branch.created',
      'pipeline.failed',
      'build.succeeded',
      'release.released',
    ] as const) {
      expect({ type, matched: matches({ containers: ['ACME/Web'] }, inWeb(type)) }).toEqual({
        type,
        matched: true,
      });
      expect({ type, matched: matches({ containers: ['acme/api'] }, inWeb(type)) }).toEqual({
        type,
        matched: false,
      });
    }
  });

  it('matches any of the labels', () => {
    const event = anEvent('work_item.updated', (d) => {
      d.item.labels = ['bug', 'P1'];
    });
    expect(matches({ labels: ['p1', 'urgent'] }, event)).toBe(true);
    expect(matches({ labels: ['feature'] }, event)).toBe(false);
    expect(explain({ labels: ['feature'] }, event).reasons).toEqual([
      "labels: the item's labels (bug, P1) include none of feature",
    ]);
  });

  it('matches the status category', () => {
    const done = anEvent('work_item.updated', (d) => {
      d.item.status = { name: 'Closed', category: 'done' };
    });
    expect(matches({ statusCategories: ['done'] }, done)).toBe(true);
    expect(matches({ statusCategories: ['todo', 'in_progress'] }, done)).toBe(false);
  });

  it('matches the assignee by login or by email, and not when the item is unassigned', () => {
    const assigned = anEvent('work_item.updated', (d) => {
      d.item.assignee = { id: '7', login: 'Grace', email: 'grace@example.com', name: 'Grace H' };
    });
    expect(matches({ assignees: ['grace'] }, assigned)).toBe(true);
    expect(matches({ assignees: ['GRACE@example.com'] }, assigned)).toBe(true);
    expect(matches({ assignees: ['ada'] }, assigned)).toBe(false);
    const unassigned = anEvent('work_item.updated', (d) => {
      d.item.assignee = null;
    });
    expect(explain({ assignees: ['grace'] }, unassigned)).toEqual({
      matched: false,
      reasons: ['assignees: the event has no assignee'],
    });
  });

  it("matches a pull request's, a review's and a comment's author, and a work item's creator", () => {
    const pr = anEvent('pull_request.opened', (d) => {
      d.pullRequest.author = { id: '1', login: 'octo', name: null };
    });
    expect(matches({ authors: ['octo'] }, pr)).toBe(true);
    expect(matches({ authors: ['someone'] }, pr)).toBe(false);
    const review = anEvent('review.submitted', (d) => {
      d.review.author = { id: '2', login: 'rev', name: null };
    });
    expect(matches({ authors: ['rev'] }, review)).toBe(true);
    const comment = anEvent('comment.created', (d) => {
      d.comment.author = { id: '3', login: null, email: 'c@example.com', name: null };
    });
    expect(matches({ authors: ['c@example.com'] }, comment)).toBe(true);
    const item = anEvent('work_item.created', (d) => {
      d.item.reporter = { id: '4', login: 'rep', name: null };
      d.item.creator = null;
    });
    expect(matches({ authors: ['rep'] }, item)).toBe(true);
  });

  it('matches the provider and the connection the event came through', () => {
    const event = anEvent('push', () => undefined, { provider: 'codehost', connectionId: CON });
    expect(matches({ providers: ['codehost'] }, event)).toBe(true);
    expect(matches({ providers: ['tracker'] }, event)).toBe(false);
    expect(matches({ connectionIds: [CON] }, event)).toBe(true);
    expect(matches({ connectionIds: ['con_01M8F79P3R3K1638C8KPHEN332'] }, event)).toBe(false);
  });

  it('does not match a condition on a field the event type does not carry', () => {
    const pr = anEvent('pull_request.merged');
    expect(explain({ labels: ['bug'] }, pr)).toEqual({
      matched: false,
      reasons: ['labels: pull_request.merged events carry no labels'],
    });
    expect(matches({ statusCategories: ['done'] }, anEvent('push'))).toBe(false);
    expect(matches({ containers: ['acme/web'] }, anEvent('sprint.started'))).toBe(false);
    // A generic sender's own type: only its source can be matched.
    const custom = aCanonicalEvent({
      tenantId: ORG,
      type: 'custom.deploy.done',
      data: { container: 'acme/web' },
    });
    expect(matches({ containers: ['acme/web'] }, custom)).toBe(false);
    expect(matches({ providers: ['generic'] }, custom)).toBe(true);
  });

  it('needs every condition to hold, and gives each reason that fails', () => {
    const event = anEvent('work_item.updated', (d) => {
      d.item.labels = ['bug'];
      d.item.status = { name: 'Open', category: 'todo' };
    });
    expect(matches({ labels: ['bug'], statusCategories: ['todo'], containers: ['acme/web'] }, event)).toBe(
      true,
    );
    expect(
      explain({ labels: ['bug'], statusCategories: ['done'], containers: ['acme/api'] }, event, [
        'pull_request.*',
      ]),
    ).toEqual({
      matched: false,
      reasons: [
        'eventTypes: work_item.updated matches none of pull_request.*',
        'containers: acme/web is none of acme/api',
        'statusCategories: todo is none of done',
      ],
    });
  });
});

describe('the hot path and the explanation', () => {
  it('agree on every condition, for every kind of event', () => {
    const conditions = [
      { containers: ['acme/web'] },
      { containers: ['acme/api'] },
      { labels: ['api'] },
      { labels: ['bug'] },
      { statusCategories: ['in_progress'] },
      { assignees: ['grace'] },
      { authors: ['ada'] },
      { authors: ['grace'] },
      { providers: ['tracker'] },
      { connectionIds: [CON] },
    ];
    const events = [
      'work_item.updated',
      'pull_request.merged',
      'review.submitted',
      'push',
      'sprint.started',
    ] as const;
    let matchedSome = 0;
    for (const type of events) {
      for (const c of conditions) {
        const fast = matches(c, anEvent(type));
        expect({ type, c, fast }).toEqual({ type, c, fast: explain(c, anEvent(type)).matched });
        if (fast) matchedSome++;
      }
    }
    expect(matchedSome).toBeGreaterThan(10);
  });
});

describe('sample events', () => {
  it('builds a valid event of every canonical type, whose data its type schema reads', () => {
    for (const type of CANONICAL_TYPES) {
      const event = sampleEvent(ORG, type, {}, new Date());
      expect(CanonicalEventSchema.safeParse(event).success).toBe(true);
      expect({ type, data: canonicalData(event, type) === null ? 'unreadable' : 'read' }).toEqual({
        type,
        data: 'read',
      });
    }
  });

  it("is shaped to the rule's conditions, so a rule matches its own sample", () => {
    const rule = aRule({
      eventTypes: ['work_item.*'],
      conditions: {
        containers: ['OPS'],
        labels: ['incident'],
        statusCategories: ['done'],
        assignees: ['ops-lead@example.com'],
        authors: ['ada'],
        providers: ['tracker'],
        connectionIds: [CON],
      },
    });
    const event = sampleEvent(ORG, 'work_item.updated', rule.conditions, new Date());
    expect(explainMatch(compileRule(rule), eventFacts(event))).toEqual({ matched: true, reasons: [] });
  });
});
