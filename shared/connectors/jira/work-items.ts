import type { CanonicalEvent } from '../../events/canonical-event';
import { obj, str } from '../../json-fields';
import type { ItemChange, NativeFields, SyncField, TrackerConnector } from '../work-items';
import { SYNC_FIELDS } from '../work-items';
import { fromAdf, toAdf } from './adf';
import { jiraClient } from './client';
import type { JiraIssuePatch, JiraIssueState } from './operations';
import { jiraOperations } from './operations';

const JIRA_KEY = /\b([A-Z][A-Z0-9_]+-\d+)\b/g;
const PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,9}$/;

const synced = (names: unknown): SyncField[] =>
  Array.isArray(names) ? SYNC_FIELDS.filter((f) => names.includes(f)) : [];

/** Jira stamps times as `2026-01-02T10:00:00.000+0000`; the hub keeps ISO 8601 in UTC. */
function isoTime(value: string | null): string | null {
  if (!value) return null;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function patchOf(fields: NativeFields): JiraIssuePatch {
  return {
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    ...(fields.assignee !== undefined ? { assignee: fields.assignee } : {}),
    ...(fields.labels !== undefined ? { labels: fields.labels } : {}),
  };
}

/** An issue a JQL search found, as a snapshot the sync engine compares with its link. */
function snapshotOf(issue: JiraIssueState, project: string): ItemChange {
  return {
    ref: { id: issue.id, key: issue.key, url: issue.url },
    container: project,
    kind: 'updated',
    fields: {
      title: issue.title,
      description: issue.description,
      ...(issue.status ? { status: issue.status } : {}),
      assignee: issue.assignee,
      labels: issue.labels,
    },
    changed: [...SYNC_FIELDS],
    at: isoTime(issue.updated) ?? new Date().toISOString(),
    actor: null,
    createdBy: issue.creator,
    snapshot: true,
  };
}

/** Jira Cloud as a sync's tracker: issues with workflow statuses, keys that pull requests name. */
export const jiraWorkItems: TrackerConnector = {
  provider: 'jira',
  role: 'tracker',
  displayName: 'Jira',
  defaultItemType: 'Task',
  checkContainer: (project) => (PROJECT_KEY.test(project) ? null : 'a Jira project key such as PROJ'),
  actorOf: (event: CanonicalEvent) => str(obj(event.data.actor).accountId),
  couldBeHub: () => true,
  readItem(event) {
    if (!event.type.startsWith('work_item.')) return null;
    const wi = obj(event.data.workItem);
    const id = str(wi.id);
    const key = str(wi.key);
    if (!id || !key) return null;
    const fields: NativeFields = {};
    if (typeof wi.summary === 'string') fields.title = wi.summary;
    if ('description' in wi) fields.description = fromAdf(wi.description);
    if (typeof wi.status === 'string') fields.status = wi.status;
    if ('assignee' in wi) fields.assignee = str(obj(wi.assignee).accountId);
    if (Array.isArray(wi.labels)) fields.labels = wi.labels.map(String);
    const kind = event.type.slice('work_item.'.length);
    return {
      ref: { id, key, url: '' },
      container: str(wi.project) ?? key.split('-')[0] ?? null,
      kind: kind === 'created' || kind === 'deleted' ? kind : 'updated',
      fields,
      changed: synced(event.data.changedFields),
      // The issue's own `updated` time orders its changes (and matches what a scan reads); the
      // webhook's send time is the fallback.
      at: isoTime(str(wi.updated)) ?? event.occurredAt,
      actor: jiraWorkItems.actorOf(event),
      createdBy: str(wi.creator),
      snapshot: false,
    };
  },
  readComment(event) {
    if (!event.type.startsWith('comment.')) return null;
    const c = obj(event.data.comment);
    const itemId = str(obj(event.data.workItem).id);
    const key = str(obj(event.data.workItem).key);
    const id = str(c.id);
    if (!itemId || !id) return null;
    return {
      itemId,
      container: key?.split('-')[0] ?? null,
      id,
      author: str(obj(c.author).displayName) ?? 'Someone',
      body: fromAdf(c.body),
      actor: jiraWorkItems.actorOf(event),
    };
  },
  referencesIn: (text, project) =>
    [...new Set([...text.matchAll(JIRA_KEY)].map((m) => m[1] as string))].filter((k) =>
      k.startsWith(`${project}-`),
    ),
  canonicalText: (markdown) => (markdown ? fromAdf(toAdf(markdown.replace(/\r\n/g, '\n'))).trim() : ''),
  open(connection, credentials, deps) {
    const site = connection.config.baseUrl ?? '';
    const ops = jiraOperations(jiraClient(connection, credentials, deps.accessTokens), site);
    return {
      connection,
      identity: async () => {
        const { accountId } = await ops.myself();
        return { actor: accountId, creator: accountId };
      },
      itemUrl: (_project, key) => ops.issueUrl(key),
      createItem: async (project, issueType, fields) => {
        const created = await ops.createIssue(project, issueType ?? 'Task', {
          ...patchOf(fields),
          title: fields.title ?? '',
        });
        // The workflow decides where a new issue starts. Not knowing it is no reason to fail (and
        // to create the issue again on a retry): the engine then moves the issue where it belongs.
        const status = await ops.getIssue(created.key).then(
          (state) => state.status,
          () => null,
        );
        return { ref: { id: created.id, key: created.key, url: created.url }, status };
      },
      updateItem: async (_project, ref, fields) => {
        await ops.updateIssue(ref.key, patchOf(fields));
        if (fields.status !== undefined) await ops.transitionTo(ref.key, fields.status);
      },
      addComment: async (_project, ref, markdown, options) =>
        (await ops.addComment(ref.key, markdown, options?.marker)).id,
      findComment: (_project, ref, marker, since) => ops.findComment(ref.key, marker, since),
      changedSince: async (project, since, cursor) => {
        const page = await ops.changedSince(project, since, cursor || undefined);
        return { items: page.issues.map((i) => snapshotOf(i, project)), next: page.nextPageToken };
      },
      estimateChangedSince: (project, since) => ops.countChangedSince(project, since),
      linkPullRequest: async (key, pr) => {
        await ops.linkPullRequest(key, pr);
      },
      moveTo: async (key, status) => {
        await ops.transitionTo(key, status);
      },
    };
  },
};
