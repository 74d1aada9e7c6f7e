import type * as z from 'zod';
import type { Person, PullRequest, RunSchema, WorkItem } from '../../events/canonical';
import { isoTime, trackerKeysIn } from '../../events/canonical';
import { type Json, num, obj, str } from '../../json-fields';

/** The hidden marker the hub leaves in what it writes (GitLab renders no HTML comment). */
export const markerComment = (marker: string) => `<!-- integration-hub:${marker} -->`;
/** What the hub adds to the description of a merge request it opens: how it knows its own. */
export const OPENED_BY_HUB = markerComment('opened');
export const HUB_APP = 'integration-hub';

/** GitLab's project and group access tokens act as bot users named `project_<id>_bot_…`/`group_<id>_bot_…`. */
export const isBotUsername = (username: string | null) =>
  username !== null && /^(project|group)_\d+_bot(_[0-9a-f]+)?$/.test(username);

/**
 * A table's own entry for a key GitLab (or a sender) controls: `constructor`, `__proto__`,
 * `valueOf`… must never reach what every object inherits.
 */
export const own = <V>(table: Readonly<Record<string, V>>, key: string | null | undefined): V | undefined =>
  key !== null && key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;

/** Someone on GitLab; `id` is the user id (what the hub keys actors by), the username their login. */
export function person(value: unknown, fallbackId?: number | null): Person | null {
  const u = obj(value);
  const id = num(u.id) ?? fallbackId ?? null;
  const login = str(u.username);
  // No user id, no person: a username standing in as the id could equal the hub's (numeric) actor.
  if (id === null) return null;
  const email = str(u.email);
  return {
    id: String(id),
    login,
    // GitLab shows `[REDACTED]` for people without a public email.
    ...(email?.includes('@') ? { email } : {}),
    name: str(u.name),
    ...(isBotUsername(login) ? { bot: true } : {}),
  };
}

/** Only an id (`author_id`): a person with nothing else known. */
export const personById = (id: number | null): Person | null =>
  id === null ? null : { id: String(id), login: null, name: null };

/** An issue's ref: iids are per project, so the project path is part of it (`group/project#12`). */
export const issueRef = (project: string, iid: number, url: string) => ({
  id: `${project.toLowerCase()}#${iid}`,
  key: `${project}#${iid}`,
  url,
});
/** A merge request's ref (`group/project!12`). */
export const mergeRequestRef = (project: string, iid: number, url: string) => ({
  id: `${project.toLowerCase()}!${iid}`,
  key: `${project}!${iid}`,
  url,
});

const labelNames = (value: unknown): string[] =>
  Array.isArray(value)
    ? value
        .map((l) => (typeof l === 'string' ? l : (str(obj(l).title) ?? str(obj(l).name))))
        .filter((l): l is string => l !== null)
    : [];

/** An issue as a canonical work item, from a webhook's `object_attributes` or the issues API (same field names). */
export function workItemOf(
  project: string,
  issue: Json,
  people: { assignees: unknown; labels?: unknown },
): WorkItem {
  const iid = num(issue.iid) ?? 0;
  const assigneeIds = Array.isArray(issue.assignee_ids) ? issue.assignee_ids : [];
  const assignees = Array.isArray(people.assignees) ? people.assignees : [];
  const state = str(issue.state);
  return {
    ...issueRef(project, iid, str(issue.url) ?? str(issue.web_url) ?? ''),
    container: project,
    type: str(issue.type) ?? str(issue.issue_type) ?? 'issue',
    title: str(issue.title) ?? '',
    description: str(issue.description) ?? '',
    status: state === 'closed' ? { name: 'closed', category: 'done' } : { name: 'open', category: 'todo' },
    // Issue webhooks list assignees without ids: `assignee_ids` has them, in the same order.
    assignee: person(assignees[0], num(assigneeIds[0])),
    reporter: person(issue.author) ?? personById(num(issue.author_id)),
    labels: labelNames(people.labels ?? issue.labels),
    priority: null,
    dueDate: str(issue.due_date),
    parent: null,
    createdVia: null,
    createdAt: isoTime(issue.created_at),
    updatedAt: isoTime(issue.updated_at),
  };
}

const PR_STATES: Record<string, PullRequest['state']> = {
  merged: 'merged',
  closed: 'closed',
  locked: 'closed',
};

/** A merge request as a canonical pull request, from a webhook's `object_attributes` or the API. */
export function pullRequestOf(
  project: string,
  mr: Json,
  extra: { author?: unknown; reviewers?: unknown },
): PullRequest {
  const iid = num(mr.iid) ?? 0;
  const description = str(mr.description) ?? '';
  const title = str(mr.title) ?? '';
  const source = str(mr.source_branch) ?? '';
  return {
    ...mergeRequestRef(project, iid, str(mr.url) ?? str(mr.web_url) ?? ''),
    id: String(num(mr.id) ?? iid),
    number: iid,
    container: project,
    title,
    description,
    state: own(PR_STATES, str(mr.state)) ?? 'open',
    draft: mr.draft === true || mr.work_in_progress === true,
    sourceBranch: source,
    targetBranch: str(mr.target_branch) ?? '',
    author: person(extra.author ?? mr.author) ?? personById(num(mr.author_id)),
    reviewers: (Array.isArray(extra.reviewers ?? mr.reviewers)
      ? ((extra.reviewers ?? mr.reviewers) as unknown[])
      : []
    )
      .map((r) => person(r))
      .filter((p): p is Person => p !== null),
    mentions: trackerKeysIn(source, title, description),
    createdVia: description.includes(OPENED_BY_HUB) ? HUB_APP : null,
    createdAt: isoTime(mr.created_at),
    updatedAt: isoTime(mr.updated_at),
    mergedAt: isoTime(mr.merged_at),
  };
}

type Run = z.infer<typeof RunSchema>;
/** GitLab's many pipeline and job statuses, as the canonical run states. */
export function runState(status: string | null): Run['state'] {
  switch (status) {
    case 'running':
      return 'running';
    case 'success':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
    case 'canceling':
    case 'skipped':
      return 'canceled';
    default:
      // created, waiting_for_resource, preparing, pending, scheduled, manual, waiting_for_callback
      return 'pending';
  }
}
