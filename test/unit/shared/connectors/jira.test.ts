import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { jiraProvider } from '../../../../shared/connectors/jira/module';
import { jiraOperations } from '../../../../shared/connectors/jira/operations';
import { jiraWorkItems } from '../../../../shared/connectors/jira/work-items';
import { UnauthenticatedError, ValidationError } from '../../../../shared/errors';
import { CANONICAL_DATA, canonicalData } from '../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../shared/events/canonical-event';
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

  const normalised = (payload: Record<string, unknown>): CanonicalEvent => {
    const event = jiraConnector.normalise(delivery(payload), 'x');
    if (!event) throw new Error('not normalised');
    return event;
  };
  const ADA = {
    id: '5b10ac8d82e05b22cc7d4ef5',
    login: null,
    name: 'Ada Lovelace',
    bot: false,
  };

  it('gives an issue update as a canonical work item, its ADF description as Markdown, with the changes its changelog names', () => {
    const event = normalised(fixture('issue-updated'));
    expect(CanonicalEventSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      type: 'work_item.updated',
      source: { provider: 'jira' },
      occurredAt: new Date(1796205600000).toISOString(),
      raw: { deliveryId: 'x', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(canonicalData(event, 'work_item.updated')).toEqual({
      actor: ADA,
      item: {
        id: '10002',
        key: 'PROJ-2',
        url: 'https://acme.atlassian.net/browse/PROJ-2',
        container: 'PROJ',
        type: 'Task',
        title: 'Sync the new build status',
        description: 'Builds should report back.',
        status: { name: 'In Progress', category: 'in_progress' },
        assignee: ADA,
        reporter: null,
        labels: ['backend', 'sync'],
        priority: 'High',
        dueDate: null,
        parent: null,
        createdVia: null,
        createdAt: '2026-11-27T09:00:00.000Z',
        updatedAt: '2026-11-27T10:00:00.000Z',
      },
      changedFields: ['status'],
      changes: [{ field: 'status', from: 'To Do', to: 'In Progress' }],
    });
  });

  it('gives a created issue with every field, its parent, creator and due date, and status categories', () => {
    const data = canonicalData(normalised(fixture('issue-created')), 'work_item.created');
    expect(data?.item).toMatchObject({
      key: 'PROJ-3',
      type: 'Bug',
      description: '## Steps\n\n1. Fork the repository\n2. Push a **commit**',
      status: { name: 'To Do', category: 'todo' },
      assignee: null,
      reporter: { ...ADA, email: 'ada@acme.example' },
      creator: { ...ADA, email: 'ada@acme.example' },
      dueDate: '2026-12-15',
      parent: { id: '10001', key: 'PROJ-1', url: 'https://acme.atlassian.net/browse/PROJ-1' },
      createdAt: '2026-11-27T08:00:00.000Z',
    });
    expect(data?.changedFields).toEqual(
      expect.arrayContaining(['title', 'description', 'status', 'assignee', 'labels']),
    );
    const done = structuredClone(fixture('issue-updated')) as { issue: { fields: { status: unknown } } };
    done.issue.fields.status = { name: 'Shipped', statusCategory: { key: 'done' } };
    expect(canonicalData(normalised(done), 'work_item.updated')?.item.status).toEqual({
      name: 'Shipped',
      category: 'done',
    });
  });

  it('maps every changelog field it knows, and names the fields a change touched once', () => {
    const payload = structuredClone(fixture('issue-updated')) as { changelog: { items: unknown[] } };
    payload.changelog.items = [
      { field: 'summary', fromString: 'Old', toString: 'Sync the new build status' },
      { field: 'assignee', fromString: null, toString: 'Ada Lovelace' },
      { field: 'labels', fromString: 'backend', toString: 'backend sync' },
      { field: 'duedate', fromString: null, toString: '2026-12-01' },
      { field: 'IssueParentAssociation', fromString: null, toString: 'PROJ-1' },
      { field: 'Sprint', fromString: null, toString: 'Sprint 7' },
    ];
    const data = canonicalData(normalised(payload), 'work_item.updated');
    expect(data?.changedFields).toEqual(['title', 'assignee', 'labels', 'dueDate', 'parent']);
    expect(data?.changes).toContainEqual({ field: 'title', from: 'Old', to: 'Sync the new build status' });
  });

  it('gives comments, sprints and versions (as releases) in their canonical shapes', () => {
    const comment = normalised(fixture('comment-created'));
    expect(canonicalData(comment, 'comment.created')).toEqual({
      // Comment events name no user: the author made it.
      actor: ADA,
      comment: {
        id: '10100',
        body: 'Looks good once the branch is merged.',
        author: ADA,
        url: 'https://acme.atlassian.net/browse/PROJ-2?focusedCommentId=10100',
        createdVia: null,
        createdAt: '2026-11-27T10:01:00.000Z',
        updatedAt: '2026-11-27T10:01:00.000Z',
      },
      on: {
        kind: 'work_item',
        id: '10002',
        key: 'PROJ-2',
        url: 'https://acme.atlassian.net/browse/PROJ-2',
        container: 'PROJ',
      },
    });
    expect(canonicalData(normalised(fixture('sprint-started')), 'sprint.started')).toEqual({
      actor: null,
      sprint: { id: '7', name: 'Sprint 7', state: 'active', goal: 'Ship sync', startAt: null, endAt: null },
    });
    expect(canonicalData(normalised(fixture('version-released')), 'release.released')).toEqual({
      actor: null,
      release: { id: '10010', name: '1.4.0', released: true, container: null, releaseDate: null },
    });
  });

  it('maps every issue, comment, sprint and version event to its canonical type, data fitting its schema', () => {
    const cases: [string, string, string][] = [
      ['issue-updated', 'jira:issue_created', 'work_item.created'],
      ['issue-updated', 'jira:issue_updated', 'work_item.updated'],
      ['issue-updated', 'jira:issue_deleted', 'work_item.deleted'],
      ['comment-created', 'comment_created', 'comment.created'],
      ['comment-created', 'comment_updated', 'comment.updated'],
      ['comment-created', 'comment_deleted', 'comment.deleted'],
      ...['created', 'started', 'closed', 'updated', 'deleted'].map((s): [string, string, string] => [
        'sprint-started',
        `sprint_${s}`,
        `sprint.${s}`,
      ]),
      ...['created', 'released', 'unreleased', 'updated', 'deleted'].map((s): [string, string, string] => [
        'version-released',
        `jira:version_${s}`,
        `release.${s}`,
      ]),
    ];
    for (const [name, webhookEvent, type] of cases) {
      const event = normalised({ ...fixture(name), webhookEvent });
      expect({ webhookEvent, type: event.type }).toEqual({ webhookEvent, type });
      const schema = CANONICAL_DATA[type as keyof typeof CANONICAL_DATA];
      expect(schema.safeParse(event.data).error).toBeUndefined();
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
      ref: { id: '10002', key: 'PROJ-2', url: 'https://acme.atlassian.net/browse/PROJ-2' },
      container: 'PROJ',
      kind: 'updated',
      // `fields.updated`, not the webhook's send time: what orders one issue's changes, as a scan reads them.
      at: '2026-11-27T10:00:00.000Z',
      fields: {
        title: 'Sync the new build status',
        description: 'Builds should report back.',
        status: 'In Progress',
        labels: ['backend', 'sync'],
        assignee: '5b10ac8d82e05b22cc7d4ef5',
      },
      changed: ['status'],
      actor: '5b10ac8d82e05b22cc7d4ef5',
    });
    const deleted = normalised({ ...fixture('issue-updated'), webhookEvent: 'jira:issue_deleted' });
    expect(jiraWorkItems.readItem(deleted)?.kind).toBe('deleted');
    expect(jiraWorkItems.readItem(normalised(fixture('issue-created')))?.createdBy).toBe(
      '5b10ac8d82e05b22cc7d4ef5',
    );
  });

  it('reads a scanned issue exactly as the webhook of the same issue', async () => {
    const payload = fixture('issue-created') as { issue: unknown };
    // Jira's search returns issues of the webhook's shape; the client is stubbed at its edge.
    const client = {
      issueSearch: { searchAndReconsileIssuesUsingJql: async () => ({ issues: [payload.issue] }) },
    };
    const ops = jiraOperations(client as never, 'https://acme.atlassian.net');
    const page = await ops.changedSince('PROJ', new Date(0));
    expect(page.issues).toEqual([canonicalData(normalised(payload), 'work_item.created')?.item]);
  });

  it('reads comments by their issue, in Markdown, and finds the keys a pull request names', () => {
    const comment = jiraWorkItems.readComment(normalised(fixture('comment-created')));
    expect(comment).toEqual({
      itemId: '10002',
      container: 'PROJ',
      id: '10100',
      author: 'Ada Lovelace',
      body: 'Looks good once the branch is merged.',
      actor: '5b10ac8d82e05b22cc7d4ef5',
    });
    expect(
      jiraWorkItems.referencesIn('PROJ-12-fix: closes PROJ-3 and OTHER-4, PROJ-12 again', 'PROJ'),
    ).toEqual(['PROJ-12', 'PROJ-3']);
    expect(jiraWorkItems.checkContainer('PROJ')).toBeNull();
    expect(jiraWorkItems.checkContainer('proj')).not.toBeNull();
  });
});
