import { matchesPattern } from '../../../../lib/local/event-pattern';
import { rules } from '../../../../shared/topology';

const event = {
  source: 'integration-hub.generic',
  'detail-type': 'generic.build.finished',
  detail: { tenantId: 'org_1', data: { labels: ['bug', 'p1'], count: 3 } },
};

describe('local EventBridge pattern matching', () => {
  it('matches exact values, and any of several', () => {
    expect(matchesPattern({ source: ['integration-hub.generic'] }, event)).toBe(true);
    expect(matchesPattern({ source: ['other', 'integration-hub.generic'] }, event)).toBe(true);
    expect(matchesPattern({ source: ['other'] }, event)).toBe(false);
  });

  it('matches prefixes and suffixes', () => {
    expect(matchesPattern({ source: [{ prefix: 'integration-hub.' }] }, event)).toBe(true);
    expect(matchesPattern({ source: [{ prefix: 'aws.' }] }, event)).toBe(false);
    expect(matchesPattern({ 'detail-type': [{ suffix: '.finished' }] }, event)).toBe(true);
  });

  it('matches nested fields and array values element by element', () => {
    expect(matchesPattern({ detail: { data: { labels: ['p1'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { data: { labels: ['p2'] } } }, event)).toBe(false);
    expect(matchesPattern({ detail: { data: { count: [3] } } }, event)).toBe(true);
  });

  it('supports anything-but and exists', () => {
    expect(matchesPattern({ detail: { tenantId: [{ 'anything-but': 'org_2' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tenantId: [{ 'anything-but': ['org_1'] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tenantId: [{ exists: false }] } }, event)).toBe(false);
  });

  it('refuses operators it does not implement instead of guessing', () => {
    expect(() => matchesPattern({ detail: { data: { count: [{ numeric: ['>', 1] }] } } }, event)).toThrow(
      /not supported/,
    );
  });

  it("routes every canonical event with the topology's rule", () => {
    expect(matchesPattern(rules.canonicalEventsToStore.pattern, event)).toBe(true);
    expect(matchesPattern(rules.canonicalEventsToStore.pattern, { ...event, source: 'aws.events' })).toBe(
      false,
    );
  });

  it('sends work items of any provider to the sync engine, but not Standard Webhooks senders’ own types or the hub’s events', () => {
    const item = (source: string, type = 'work_item.updated') => ({ ...event, source, 'detail-type': type });
    const { pattern } = rules.syncableEvents;
    expect(matchesPattern(pattern, item('integration-hub.github'))).toBe(true);
    expect(matchesPattern(pattern, item('integration-hub.jira', 'comment.created'))).toBe(true);
    // The next provider needs no edit here.
    expect(matchesPattern(pattern, item('integration-hub.gitlab', 'pull_request.merged'))).toBe(true);
    // A Standard Webhooks sender's events keep their own `generic.<type>`: never a syncable type.
    expect(matchesPattern(pattern, item('integration-hub.generic', 'generic.work_item.updated'))).toBe(false);
    expect(matchesPattern(pattern, item('integration-hub.hub'))).toBe(false);
    expect(matchesPattern(pattern, item('integration-hub.github', 'branch.created'))).toBe(false);
  });

  it("keeps the hub's own writes coming back (marked echo at the endpoint) off the sync queue, not out of the feed", () => {
    const echo = {
      ...event,
      source: 'integration-hub.jira',
      'detail-type': 'work_item.updated',
      detail: { ...event.detail, echo: true },
    };
    expect(matchesPattern(rules.syncableEvents.pattern, echo)).toBe(false);
    expect(matchesPattern(rules.canonicalEventsToStore.pattern, echo)).toBe(true);
    const { echo: _echo, ...person } = echo.detail;
    expect(matchesPattern(rules.syncableEvents.pattern, { ...echo, detail: person })).toBe(true);
  });
});
