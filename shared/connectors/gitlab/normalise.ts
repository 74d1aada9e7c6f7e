import { ValidationError } from '../../errors';
import type { Normalised, WorkItemField } from '../../events/canonical';
import { canonicalEvent, isoTime, WORK_ITEM_FIELDS } from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import { type Json, num, obj, str } from '../../json-fields';
import type { WebhookDelivery } from '../connector';
import {
  issueRef,
  mergeRequestRef,
  own,
  person,
  personById,
  pullRequestOf,
  runState,
  workItemOf,
} from './shapes';

const ZERO_SHA = /^0+$/;
const sha = (value: unknown) => {
  const s = str(value);
  return s && !ZERO_SHA.test(s) ? s : null;
};

/** The canonical field each key of an issue webhook's `changes` stands for. */
const CHANGED: Record<string, WorkItemField> = {
  title: 'title',
  description: 'description',
  state_id: 'status',
  state: 'status',
  labels: 'labels',
  assignees: 'assignee',
  due_date: 'dueDate',
};
const STATE_IDS: Record<string, string> = { 1: 'open', 2: 'closed' };

/** A changed value as a display string: label titles and usernames joined, state ids named. */
function display(key: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (key === 'state_id' && typeof value === 'number') return own(STATE_IDS, String(value)) ?? String(value);
  if (Array.isArray(value))
    return value
      .map((v) => str(obj(v).title) ?? str(obj(v).username) ?? str(obj(v).name) ?? '')
      .filter(Boolean)
      .join(', ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function issueEvent(payload: Json): Normalised | null {
  // Other work items (tasks, epics, incidents as `work_item`) are not issues the sync handles.
  if (payload.object_kind !== 'issue') return null;
  const attrs = obj(payload.object_attributes);
  // A confidential issue, whatever hook it came by, stays in GitLab (see HOOKS).
  if (attrs.confidential === true) return null;
  const project = str(obj(payload.project).path_with_namespace);
  if (!project || num(attrs.iid) === null)
    throw new ValidationError('The issue event names no project or issue');
  const item = workItemOf(project, attrs, { assignees: payload.assignees, labels: payload.labels });
  const action = str(attrs.action);
  const created = action === 'open';
  const changes = Object.entries(obj(payload.changes)).flatMap(([key, change]) => {
    const field = own(CHANGED, key);
    if (!field) return [];
    const c = obj(change);
    return [{ field, from: display(key, c.previous), to: display(key, c.current) }];
  });
  const changedFields = created
    ? [...WORK_ITEM_FIELDS]
    : [
        ...new Set([
          ...changes.map((c) => c.field),
          ...(action === 'close' || action === 'reopen' ? (['status'] as const) : []),
        ]),
      ];
  return {
    type: created ? 'work_item.created' : 'work_item.updated',
    data: { actor: person(payload.user), item, changedFields, changes: created ? [] : changes },
    occurredAt: item.updatedAt,
  };
}

function noteEvent(payload: Json): Normalised | null {
  const note = obj(payload.object_attributes);
  // GitLab's own activity notes ("changed the description") are not anyone's comment.
  if (note.system === true) return null;
  // An internal note, or any note on a confidential issue, stays in GitLab (see HOOKS).
  if (note.confidential === true || note.internal === true || obj(payload.issue).confidential === true)
    return null;
  const project = str(obj(payload.project).path_with_namespace);
  const noteable = str(note.noteable_type);
  const parent = obj(noteable === 'Issue' ? payload.issue : payload.merge_request);
  const iid = num(parent.iid);
  if (!project || (noteable !== 'Issue' && noteable !== 'MergeRequest')) return null;
  if (iid === null || num(note.id) === null)
    throw new ValidationError('The note event names no note or item');
  const url = str(note.url) ?? '';
  const parentUrl = str(parent.url) ?? url.replace(/#note_\d+$/, '');
  const on =
    noteable === 'Issue'
      ? { kind: 'work_item' as const, ...issueRef(project, iid, parentUrl), container: project }
      : { kind: 'pull_request' as const, ...mergeRequestRef(project, iid, parentUrl), container: project };
  const author = person(payload.user) ?? personById(num(note.author_id));
  return {
    type: str(note.action) === 'update' ? 'comment.updated' : 'comment.created',
    data: {
      actor: person(payload.user),
      comment: {
        id: String(num(note.id)),
        body: str(note.note) ?? '',
        author,
        url,
        createdVia: null,
        createdAt: isoTime(note.created_at),
        updatedAt: isoTime(note.updated_at),
      },
      on,
    },
    occurredAt: isoTime(note.updated_at),
  };
}

const MR_TYPES = {
  open: 'pull_request.opened',
  reopen: 'pull_request.reopened',
  update: 'pull_request.updated',
  // `approved`: every required approval is in; `approval`: one person approved.
  approved: 'pull_request.approved',
  approval: 'pull_request.approved',
  unapproved: 'pull_request.unapproved',
  unapproval: 'pull_request.unapproved',
  merge: 'pull_request.merged',
  close: 'pull_request.closed',
} as const;

function mergeRequestEvent(payload: Json): Normalised | null {
  const attrs = obj(payload.object_attributes);
  const type = own<(typeof MR_TYPES)[keyof typeof MR_TYPES]>(MR_TYPES, str(attrs.action) ?? 'update');
  if (!type) return null;
  const project = str(obj(payload.project).path_with_namespace);
  if (!project || num(attrs.iid) === null)
    throw new ValidationError('The merge request event names no project or merge request');
  const user = obj(payload.user);
  const pullRequest = pullRequestOf(
    project,
    { ...attrs, merged_at: attrs.merged_at ?? (type === 'pull_request.merged' ? attrs.updated_at : null) },
    {
      // The payload describes the acting user fully; the author only by id unless that is the same person.
      author: num(user.id) === num(attrs.author_id) ? user : undefined,
      reviewers: payload.reviewers,
    },
  );
  return { type, data: { actor: person(payload.user), pullRequest }, occurredAt: pullRequest.updatedAt };
}

/**
 * A push to a branch. GitLab has no branch events of its own: a branch created or deleted is a push
 * whose `before` (created) or `after` (deleted) is the zero SHA. Those become `branch.created` and
 * `branch.deleted`, as GitHub's `create`/`delete` deliveries do; a delivery is one event, so the
 * commits a new branch's first push lists are not announced as a `push` too.
 */
function pushEvent(payload: Json): Normalised {
  const ref = str(payload.ref) ?? '';
  const project = str(obj(payload.project).path_with_namespace) ?? '';
  const commits = Array.isArray(payload.commits) ? payload.commits.map(obj) : [];
  const actor = person({
    id: payload.user_id,
    username: payload.user_username,
    name: payload.user_name,
    email: payload.user_email,
  });
  const branch = ref.replace(/^refs\/heads\//, '');
  const created = ZERO_SHA.test(str(payload.before) ?? '');
  const deleted = ZERO_SHA.test(str(payload.after) ?? '');
  if (created !== deleted && branch)
    return {
      type: created ? 'branch.created' : 'branch.deleted',
      // The branch's head once created (none once deleted), as the tag events say it.
      data: { actor, container: project, name: branch, sha: sha(payload.checkout_sha) ?? sha(payload.after) },
      // When the ref moved is not in the payload (a commit's time is not the branch's).
      occurredAt: null,
    };
  return {
    type: 'push',
    data: {
      actor,
      container: project,
      branch,
      before: sha(payload.before),
      after: sha(payload.after),
      created,
      deleted,
      commits: commits.map((c) => ({
        id: str(c.id) ?? '',
        message: str(c.message) ?? '',
        url: str(c.url) ?? '',
        author: { name: str(obj(c.author).name), email: str(obj(c.author).email) },
        timestamp: isoTime(c.timestamp),
      })),
      totalCommits: num(payload.total_commits_count) ?? commits.length,
    },
    occurredAt: isoTime(commits.at(-1)?.timestamp),
  };
}

function tagEvent(payload: Json): Normalised {
  const deleted = ZERO_SHA.test(str(payload.after) ?? '');
  return {
    type: deleted ? 'tag.deleted' : 'tag.created',
    data: {
      actor: person({ id: payload.user_id, username: payload.user_username, name: payload.user_name }),
      container: str(obj(payload.project).path_with_namespace) ?? '',
      name: (str(payload.ref) ?? '').replace(/^refs\/tags\//, ''),
      sha: sha(payload.checkout_sha) ?? sha(payload.after),
    },
    occurredAt: null,
  };
}

function pipelineEvent(payload: Json): Normalised {
  const attrs = obj(payload.object_attributes);
  const project = obj(payload.project);
  const id = num(attrs.id);
  const status = str(attrs.status) ?? '';
  const state = runState(status);
  return {
    type: `pipeline.${state}`,
    data: {
      actor: person(payload.user),
      pipeline: {
        id: String(id ?? ''),
        name: str(attrs.name),
        state,
        status,
        ref: str(attrs.ref),
        sha: str(attrs.sha),
        url: str(attrs.url) ?? `${str(project.web_url) ?? ''}/-/pipelines/${id}`,
        container: str(project.path_with_namespace) ?? '',
        startedAt: isoTime(attrs.created_at),
        finishedAt: isoTime(attrs.finished_at),
      },
    },
    occurredAt: isoTime(attrs.finished_at) ?? isoTime(attrs.created_at),
  };
}

function jobEvent(payload: Json): Normalised {
  const project = obj(payload.project);
  const id = num(payload.build_id);
  const status = str(payload.build_status) ?? '';
  const state = runState(status);
  const pipeline = num(payload.pipeline_id);
  return {
    type: `build.${state}`,
    data: {
      actor: person(payload.user),
      build: {
        id: String(id ?? ''),
        name: str(payload.build_name),
        state,
        status,
        ref: str(payload.ref),
        sha: str(payload.sha),
        url: `${str(project.web_url) ?? ''}/-/jobs/${id}`,
        container: str(project.path_with_namespace) ?? str(payload.project_name) ?? '',
        startedAt: isoTime(payload.build_started_at_iso) ?? isoTime(payload.build_started_at),
        finishedAt: isoTime(payload.build_finished_at_iso) ?? isoTime(payload.build_finished_at),
      },
      pipelineId: pipeline === null ? null : String(pipeline),
    },
    occurredAt:
      isoTime(payload.build_finished_at_iso) ??
      isoTime(payload.build_started_at_iso) ??
      isoTime(payload.build_created_at_iso),
  };
}

/**
 * The event types (`X-Gitlab-Event`) the hub uses; system hooks, wiki pages, deployments… are not
 * among them, nor `Confidential Issue Hook` and `Confidential Note Hook`: what only a project's
 * members may see is not copied into another tool, where a wider audience would read it.
 */
const HOOKS: Record<string, (payload: Json) => Normalised | null> = {
  'Issue Hook': issueEvent,
  'Note Hook': noteEvent,
  'Merge Request Hook': mergeRequestEvent,
  'Push Hook': pushEvent,
  'Tag Push Hook': tagEvent,
  'Pipeline Hook': pipelineEvent,
  'Job Hook': jobEvent,
};

const OBJECT_KIND_HOOKS: Record<string, string> = {
  issue: 'Issue Hook',
  work_item: 'Issue Hook',
  note: 'Note Hook',
  merge_request: 'Merge Request Hook',
  push: 'Push Hook',
  tag_push: 'Tag Push Hook',
  pipeline: 'Pipeline Hook',
  build: 'Job Hook',
  wiki_page: 'Wiki Page Hook',
  deployment: 'Deployment Hook',
  release: 'Release Hook',
};

/** The `X-Gitlab-Event` GitLab sends with a payload, by its `object_kind` (for signing deliveries as GitLab would). */
export function hookOf(body: string): string {
  let payload: Json = {};
  try {
    payload = obj(JSON.parse(body));
  } catch {
    // Not JSON: the hub refuses it whatever the header says.
  }
  const kind = str(payload.object_kind) ?? '';
  const confidential =
    obj(payload.object_attributes).confidential === true ||
    obj(payload.object_attributes).internal === true ||
    obj(payload.issue).confidential === true;
  if ((kind === 'issue' || kind === 'note') && confidential)
    return kind === 'issue' ? 'Confidential Issue Hook' : 'Confidential Note Hook';
  return own(OBJECT_KIND_HOOKS, kind) ?? 'System Hook';
}

/** Turns a verified GitLab delivery into a canonical event, or null for an event type the hub does not use. */
export function normaliseGitlabDelivery(
  delivery: WebhookDelivery,
  deliveryId: string,
): CanonicalEvent | null {
  const hook = delivery.headers['x-gitlab-event'];
  if (!hook) throw new ValidationError('The delivery has no X-Gitlab-Event header');
  const translate = own(HOOKS, hook);
  // Acknowledged and dropped before parsing: an unknown type never costs a 4xx or 5xx.
  if (!translate) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.body);
  } catch (cause) {
    throw new ValidationError('The body is not valid JSON', [], { cause });
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    throw new ValidationError('The payload is not a JSON object');
  const event = translate(payload as Json);
  return event ? canonicalEvent(delivery, 'gitlab', deliveryId, event) : null;
}
