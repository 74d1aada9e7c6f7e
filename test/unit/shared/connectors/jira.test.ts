import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { jiraProvider } from '../../../../shared/connectors/jira/module';
import { jiraWorkItems } from '../../../../shared/connectors/jira/work-items';
import { UnauthenticatedError, ValidationError } from '../../../../shared/errors';
import { CanonicalEventSchema } from '../../../../shared/events/canonical-event';

const jiraConnector = jiraProvider.webhook;

/** Payloads in the shape Atlassian documents for Jira Cloud webhooks (test/fixtures/jira). */
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'jira', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;

const delivery = (payload: unknown, headers: Record<string, string> = {}) => ({
  orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
  connectionId: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3',
  headers: { 'x-atlassian-webhook-identifier': '123-abc', ...headers },
  body: JSON.stringify(payload),
  receivedAt: new Date('2026-11-27T12:00:00Z'),
  correlationId: 'c-1',
});

describe('Jira Cloud webhooks', () => {
  it('verifies X-Hub-Signature over the raw body and refuses unsigned or forged calls', async () => {
    const d = delivery(fixture('issue-updated'));
    const signed = { ...d, headers: { ...d.headers, 'x-hub-signature': await sign('s3cret', d.body) } };
    await expect(jiraConnector.verify('s3cret', signed)).resolves.toBeUndefined();
    await expect(jiraConnector.verify('other', signed)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(jiraConnector.verify('s3cret', d)).rejects.toThrow(/no X-Hub-Signature/);
  });

  it('de-duplicates by X-Atlassian-Webhook-Identifier', () => {
    expect(jiraConnector.deliveryId(delivery({}))).toBe('123-abc');
    expect(() => jiraConnector.deliveryId({ ...delivery({}), headers: {} })).toThrow(ValidationError);
  });

  it('normalises an issue update with its fields and the changes it made', () => {
    const event = jiraConnector.normalise(delivery(fixture('issue-updated')), '123-abc');
    expect(CanonicalEventSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      type: 'work_item.updated',
      source: { provider: 'jira' },
      occurredAt: new Date(1796205600000).toISOString(),
      data: {
        event: 'jira:issue_updated',
        workItem: {
          key: 'PROJ-2',
          project: 'PROJ',
          status: 'In Progress',
          labels: ['backend', 'sync'],
          priority: 'High',
          assignee: { accountId: '5b10ac8d82e05b22cc7d4ef5' },
          description: { type: 'doc' },
        },
        changes: [{ field: 'status', from: 'To Do', to: 'In Progress' }],
      },
    });
  });

  it('normalises created and deleted issues, comments, sprints and versions', () => {
    const typeOf = (payload: Record<string, unknown>) =>
      jiraConnector.normalise(delivery(payload), 'x')?.type;
    const issue = fixture('issue-updated');
    expect(typeOf({ ...issue, webhookEvent: 'jira:issue_created' })).toBe('work_item.created');
    expect(typeOf({ ...issue, webhookEvent: 'jira:issue_deleted' })).toBe('work_item.deleted');
    expect(typeOf(fixture('comment-created'))).toBe('comment.created');
    expect(typeOf({ ...fixture('comment-created'), webhookEvent: 'comment_deleted' })).toBe(
      'comment.deleted',
    );
    expect(typeOf(fixture('sprint-started'))).toBe('sprint.started');
    expect(typeOf(fixture('version-released'))).toBe('version.released');
    for (const name of ['comment-created', 'sprint-started', 'version-released']) {
      expect(
        CanonicalEventSchema.safeParse(jiraConnector.normalise(delivery(fixture(name)), 'x')).success,
      ).toBe(true);
    }
  });

  it('acknowledges other events without publishing, and refuses a payload without webhookEvent', () => {
    expect(jiraConnector.normalise(delivery({ webhookEvent: 'worklog_created' }), 'x')).toBeNull();
    expect(() => jiraConnector.normalise(delivery({ timestamp: 1 }), 'x')).toThrow(/webhookEvent/);
    expect(() => jiraConnector.normalise({ ...delivery({}), body: '{' }, 'x')).toThrow(ValidationError);
  });
});

describe('Jira as a sync’s tracker: reading canonical events', () => {
  const normalised = (payload: Record<string, unknown>) => {
    const event = jiraConnector.normalise(delivery(payload), 'x');
    if (!event) throw new Error('not normalised');
    return event;
  };

  it('reads an issue with its description as Markdown and only the fields its changelog names, at the issue’s own update time', () => {
    const item = jiraWorkItems.readItem(normalised(fixture('issue-updated')));
    expect(item).toMatchObject({
      ref: { key: 'PROJ-2', url: '' },
      container: 'PROJ',
      kind: 'updated',
      // `fields.updated`, not the webhook's send time: what orders one issue's changes, as a scan reads them.
      at: '2026-11-27T10:00:00.000Z',
      fields: { status: 'In Progress', labels: ['backend', 'sync'], assignee: '5b10ac8d82e05b22cc7d4ef5' },
      changed: ['status'],
    });
    expect(typeof item?.fields.description).toBe('string');
    const deleted = normalised({ ...fixture('issue-updated'), webhookEvent: 'jira:issue_deleted' });
    expect(jiraWorkItems.readItem(deleted)?.kind).toBe('deleted');
  });

  it('reads comments by their issue, in Markdown, and finds the keys a pull request names', () => {
    const comment = jiraWorkItems.readComment(normalised(fixture('comment-created')));
    expect(comment).toMatchObject({ id: expect.any(String), author: expect.any(String) });
    expect(typeof comment?.body).toBe('string');
    expect(
      jiraWorkItems.referencesIn('PROJ-12-fix: closes PROJ-3 and OTHER-4, PROJ-12 again', 'PROJ'),
    ).toEqual(['PROJ-12', 'PROJ-3']);
    expect(jiraWorkItems.checkContainer('PROJ')).toBeNull();
    expect(jiraWorkItems.checkContainer('proj')).not.toBeNull();
  });
});
