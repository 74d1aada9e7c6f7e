import { ProviderUnavailableError, ValidationError } from '../../errors';
import type { UserQuery } from '../work-items';
import { fromAdf, toAdf } from './adf';
import type { JiraClient } from './client';
import { jiraFailure } from './client';
import { jiraWorkItem } from './normalise';

/** The comment property a mirrored comment's marker is kept in. */
const COMMENT_MARKER_PROPERTY = 'integration-hub';

/**
 * Every call's failure becomes one of the hub's provider errors, for the one failure policy. A
 * Jira that stops answering fails the call after `timeoutMs` (jira.js has no timeout of its own),
 * as an outage to retry with backoff, instead of holding the worker until its own timeout.
 */
async function callJira<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ProviderUnavailableError(`Jira: no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof ValidationError || error instanceof ProviderUnavailableError) throw error;
    throw jiraFailure(error);
  } finally {
    clearTimeout(timer);
  }
}

/** A Jira issue as the sync engine reads it: descriptions as Markdown, people by account id. */
export interface JiraIssueState {
  readonly id: string;
  readonly key: string;
  readonly title: string;
  readonly description: string;
  readonly status: string | null;
  readonly assignee: string | null;
  readonly labels: string[];
  readonly priority: string | null;
  readonly updated: string | null;
  /** The account that created the issue. */
  readonly creator: string | null;
  readonly url: string;
}

export interface JiraIssuePatch {
  readonly title?: string;
  readonly description?: string;
  /** An account id, or null to unassign. */
  readonly assignee?: string | null;
  readonly labels?: string[];
  readonly priority?: string;
}

function fieldsOf(patch: JiraIssuePatch): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (patch.title !== undefined) fields.summary = patch.title;
  if (patch.description !== undefined) fields.description = toAdf(patch.description);
  if (patch.assignee !== undefined)
    fields.assignee = patch.assignee === null ? null : { accountId: patch.assignee };
  if (patch.labels !== undefined) fields.labels = patch.labels;
  if (patch.priority !== undefined) fields.priority = { name: patch.priority };
  return fields;
}

/** The fields the hub reads of an issue. */
const ISSUE_FIELDS = [
  'summary',
  'description',
  'status',
  'assignee',
  'labels',
  'priority',
  'updated',
  'creator',
  // What else a canonical work item holds, so a scan reads the item as its webhook does.
  'issuetype',
  'project',
  'reporter',
  'duedate',
  'parent',
  'created',
];

/** JQL for a project's issues changed since a time; Jira compares to the minute. */
const changedJql = (project: string, since: Date) =>
  `project = "${project.replace(/"/g, '')}" AND updated >= "${since.toISOString().slice(0, 16).replace('T', ' ')}"`;

/** The Jira operations the sync engine uses, on one site's client (v3 API, ADF bodies). */
export function jiraOperations(
  jira: JiraClient | Promise<JiraClient>,
  site: string,
  options: { timeoutMs?: number } = {},
) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // A client still loading (jira.js loads at first use) is awaited within the call and its time limit.
  const call = <T>(run: (client: JiraClient) => Promise<T>) =>
    callJira(async () => run(await jira), timeoutMs);
  // A client that failed to load fails each call as a provider error; unused, it is no unhandled rejection.
  Promise.resolve(jira).catch(() => undefined);
  const browse = (key: string) => `${site.replace(/\/$/, '')}/browse/${key}`;
  const state = (issue: { id: string; key: string; fields?: Record<string, unknown> }): JiraIssueState => {
    const f = issue.fields ?? {};
    const named = (v: unknown, key: string) => {
      const value = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
      return typeof value === 'string' ? value : null;
    };
    return {
      id: issue.id,
      key: issue.key,
      title: String(f.summary ?? ''),
      description: fromAdf(f.description),
      status: named(f.status, 'name'),
      assignee: named(f.assignee, 'accountId'),
      labels: Array.isArray(f.labels) ? f.labels.map(String) : [],
      priority: named(f.priority, 'name'),
      updated: typeof f.updated === 'string' ? f.updated : null,
      creator: named(f.creator, 'accountId'),
      url: browse(issue.key),
    };
  };
  const ops = {
    /** Where a person sees an issue on the site. */
    issueUrl: browse,
    /** The account the hub acts as: its changes come back in webhooks and must not be synced again. */
    myself: () =>
      call(async (client) => {
        const me = await client.myself.getCurrentUser();
        return { accountId: me.accountId ?? '' };
      }),
    /**
     * A person's account id by email or display name (Jira Cloud has no user names): Jira's user
     * search matches both; only one active person, matching exactly where Jira shows the field, is
     * an answer (an email a person keeps private is matched by Jira alone).
     */
    findUser: (query: UserQuery) =>
      call(async (client) => {
        const asked = ('email' in query ? query.email : query.name).trim();
        if (!asked || asked.length > 200) return null;
        const found = await client.userSearch.findUsers({ query: asked, maxResults: 10 });
        const people = found.filter(
          (u) => u.active !== false && u.accountType === 'atlassian' && u.accountId,
        );
        const same = (a: string | undefined) => a?.toLowerCase() === asked.toLowerCase();
        const exact = people.filter((u) => ('email' in query ? same(u.emailAddress) : same(u.displayName)));
        const hidden = 'email' in query && people.every((u) => !u.emailAddress);
        const [one, ...more] = exact.length > 0 ? exact : hidden ? people : [];
        return one && more.length === 0 ? (one.accountId ?? null) : null;
      }),
    getIssue: (key: string) =>
      call(async (client) => {
        const issue = await client.issues.getIssue({
          issueIdOrKey: key,
          fields: [...ISSUE_FIELDS],
        });
        return state(issue as { id: string; key: string; fields?: Record<string, unknown> });
      }),
    createIssue: (project: string, issueType: string, patch: JiraIssuePatch & { title: string }) =>
      call(async (client) => {
        const created = await client.issues.createIssue({
          fields: { project: { key: project }, issuetype: { name: issueType }, ...fieldsOf(patch) } as never,
        });
        return { id: String(created.id), key: String(created.key), url: browse(String(created.key)) };
      }),
    updateIssue: (key: string, patch: JiraIssuePatch) =>
      call(async (client) => {
        const fields = fieldsOf(patch);
        if (Object.keys(fields).length > 0) await client.issues.editIssue({ issueIdOrKey: key, fields });
      }),
    /**
     * Moves the issue to the status named, through whichever transition leads there from where it
     * is: workflows differ per project, so transition ids are never assumed. Already there: nothing.
     */
    transitionTo: (key: string, status: string) =>
      call(async (client) => {
        const { transitions = [] } = await client.issues.getTransitions({ issueIdOrKey: key });
        const wanted = status.toLowerCase();
        const transition = transitions.find((t) => t.to?.name?.toLowerCase() === wanted);
        if (!transition?.id) {
          const issue = await ops.getIssue(key);
          if (issue.status?.toLowerCase() === wanted) return { moved: false };
          throw new ValidationError(
            `Jira ${key}: no transition leads from ${issue.status ?? 'its status'} to ${status}`,
          );
        }
        await client.issues.doTransition({ issueIdOrKey: key, transition: { id: transition.id } });
        return { moved: true };
      }),
    /** Adds a comment; `marker` goes in a comment property, where people do not see it. */
    addComment: (key: string, markdown: string, marker?: string) =>
      call(async (client) => {
        const comment = await client.issueComments.addComment({
          issueIdOrKey: key,
          body: toAdf(markdown),
          ...(marker ? { properties: [{ key: COMMENT_MARKER_PROPERTY, value: { marker } }] } : {}),
        } as never);
        return { id: String(comment.id) };
      }),
    /** The id of the issue's comment created since a time with `marker` in its property, if any. */
    findComment: (key: string, marker: string, since: Date) =>
      call(async (client) => {
        const recent = await client.issueComments.getComments({
          issueIdOrKey: key,
          orderBy: '-created',
          maxResults: 50,
        });
        const ids = (recent.comments ?? [])
          .filter(
            (c) =>
              c.id &&
              Date.parse(String(c.created ?? '').replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) >= since.getTime(),
          )
          .map((c) => Number(c.id));
        if (ids.length === 0) return null;
        // Listing comments cannot show their properties; reading them by id can.
        const found = await client.issueComments.getCommentsByIds({ ids, expand: 'properties' });
        const hit = (found.values ?? []).find((c) =>
          (c.properties ?? []).some(
            (p) =>
              p.key === COMMENT_MARKER_PROPERTY &&
              (p.value as { marker?: unknown } | undefined)?.marker === marker,
          ),
        );
        return hit?.id ? String(hit.id) : null;
      }),
    /**
     * A link on the issue to a pull request on a code host (GitHub unless named); the same
     * `globalId` updates it instead of adding another.
     */
    linkPullRequest: (key: string, pr: { url: string; title: string; state: string; codeHost?: string }) =>
      call(async (client) => {
        const host = pr.codeHost ?? 'GitHub';
        const id = host.toLowerCase().replace(/[^a-z0-9]+/g, '');
        const link = await client.issueRemoteLinks.createOrUpdateRemoteIssueLink({
          issueIdOrKey: key,
          globalId: `${id}-pr=${pr.url}`,
          application: { type: `com.${id}`, name: host },
          relationship: 'pull request',
          object: {
            url: pr.url,
            title: pr.title,
            summary: pr.state,
            status: { resolved: pr.state === 'merged' },
          },
        });
        return { id: link.id ?? null };
      }),
    /** About how many issues of a project changed since a time (for progress estimates). */
    countChangedSince: (project: string, since: Date) =>
      call(async (client) => {
        const { count } = await client.issueSearch.countIssues({ jql: changedJql(project, since) });
        return count ?? 0;
      }),
    /** Issues of a project changed since a time (Jira's minute resolution), oldest first, one page, as canonical items. */
    changedSince: (project: string, since: Date, pageToken?: string) =>
      call(async (client) => {
        const page = await client.issueSearch.searchAndReconsileIssuesUsingJql({
          jql: `${changedJql(project, since)} ORDER BY updated ASC`,
          fields: [...ISSUE_FIELDS],
          maxResults: 50,
          nextPageToken: pageToken,
        });
        return {
          // The same canonical item a webhook carries, made by the same function.
          issues: (page.issues ?? []).map((i) => jiraWorkItem(i, site)),
          nextPageToken: page.nextPageToken ?? null,
        };
      }),
  };
  return ops;
}

export type JiraOperations = ReturnType<typeof jiraOperations>;
