import type { CanonicalReading } from '../canonical-read';
import { actorOf, readCommentChange, readItemChange, snapshotOf } from '../canonical-read';
import type { NativeFields, TrackerConnector } from '../work-items';
import { fromAdf, toAdf } from './adf';
import { jiraClient } from './client';
import type { JiraIssuePatch } from './operations';
import { jiraOperations } from './operations';

const JIRA_KEY = /\b([A-Z][A-Z0-9_]+-\d+)\b/g;
const PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,9}$/;

function patchOf(fields: NativeFields): JiraIssuePatch {
  return {
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    ...(fields.assignee !== undefined ? { assignee: fields.assignee } : {}),
    ...(fields.labels !== undefined ? { labels: fields.labels } : {}),
  };
}

/**
 * How Jira's canonical items read for a sync: people by account id (Jira has no login; mappings
 * pair account ids), items by their issue id, the hub's own items by the account that created them.
 */
const READING: CanonicalReading = {
  personKey: (person) => person.id,
  refId: (item) => item.id,
  createdBy: (item) => item.creator?.id ?? null,
};

/** Jira Cloud as a sync's tracker: issues with workflow statuses, keys that pull requests name. */
export const jiraWorkItems: TrackerConnector = {
  provider: 'jira',
  role: 'tracker',
  displayName: 'Jira',
  defaultItemType: 'Task',
  checkContainer: (project) => (PROJECT_KEY.test(project) ? null : 'a Jira project key such as PROJ'),
  actorOf: (event) => actorOf(event, READING),
  couldBeHub: () => true,
  readItem: (event) => readItemChange(event, READING),
  readComment: (event) => readCommentChange(event, READING),
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
      findUser: (query) => ops.findUser(query),
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
        return { items: page.issues.map((i) => snapshotOf(i, READING)), next: page.nextPageToken };
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
