import { ValidationError } from '../../errors';
import type {
  CommentEventData,
  FieldChangeSchema,
  Normalised,
  Person,
  PullRequest,
  WorkItem,
  WorkItemField,
} from '../../events/canonical';
import {
  canonicalEvent,
  isoTime,
  REVIEW_STATES,
  trackerKeysIn,
  WORK_ITEM_FIELDS,
} from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import { type Json, num, obj, str } from '../../json-fields';
import type { WebhookDelivery } from '../connector';

type FieldChange = ReturnType<typeof FieldChangeSchema.parse>;

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const idOf = (value: Json): string => String(num(value.id) ?? str(value.id) ?? '');

/** A GitHub user or app as a canonical person: apps act as `<slug>[bot]`, of type `Bot`. */
export function githubPerson(value: unknown): Person | null {
  const u = obj(value);
  const login = str(u.login);
  if (login === null && u.id === undefined) return null;
  const email = str(u.email);
  return {
    id: u.id === undefined ? (login ?? '') : idOf(u),
    login,
    name: str(u.name),
    ...(email ? { email } : {}),
    bot: u.type === 'Bot' || (login?.endsWith('[bot]') ?? false),
  };
}

const labelsOf = (value: unknown): string[] =>
  list(value)
    .map((l) => (typeof l === 'string' ? l : str(obj(l).name)))
    .filter((n): n is string => !!n);

/**
 * An issue (from a webhook or GitHub's issue listing, which share the shape) as a canonical work
 * item of its repository. Its status is `open` or `closed`; the first assignee is the assignee.
 */
export function githubWorkItem(value: unknown, repository: string): WorkItem {
  const i = obj(value);
  const number = num(i.number) ?? 0;
  const closed = str(i.state) === 'closed';
  const type = str(obj(i.type).name);
  // Set when a GitHub App made the issue: the hub recognises its own items by its app id.
  const viaApp = num(obj(i.performed_via_github_app).id);
  return {
    id: idOf(i),
    key: `${repository}#${number}`,
    url: str(i.html_url) ?? '',
    container: repository,
    type: type ?? 'issue',
    title: str(i.title) ?? '',
    description: str(i.body) ?? '',
    status: { name: closed ? 'closed' : 'open', category: closed ? 'done' : 'todo' },
    assignee: githubPerson(list(i.assignees)[0] ?? i.assignee),
    reporter: githubPerson(i.user),
    labels: labelsOf(i.labels),
    priority: null,
    // GitHub issues have no due date of their own (a milestone's is the milestone's).
    dueDate: null,
    parent: null,
    createdVia: viaApp === null ? null : String(viaApp),
    createdAt: isoTime(i.created_at),
    updatedAt: isoTime(i.updated_at),
  };
}

/** Which fields an `issues` action changed, with the old values GitHub's `changes` gives. */
function issueChanges(
  action: string | null,
  payload: Json,
  item: WorkItem,
): { changedFields: WorkItemField[]; changes: FieldChange[] } {
  switch (action) {
    case 'opened':
      return { changedFields: [...WORK_ITEM_FIELDS], changes: [] };
    case 'edited': {
      const changes = obj(payload.changes);
      const from = (k: string) => str(obj(changes[k]).from);
      return {
        changedFields: [
          ...('title' in changes ? (['title'] as const) : []),
          ...('body' in changes ? (['description'] as const) : []),
        ],
        changes: [
          ...('title' in changes ? [{ field: 'title' as const, from: from('title'), to: item.title }] : []),
          ...('body' in changes
            ? [{ field: 'description' as const, from: from('body'), to: item.description }]
            : []),
        ],
      };
    }
    case 'closed':
    case 'reopened': {
      const to = action === 'closed' ? 'closed' : 'open';
      return {
        changedFields: ['status'],
        changes: [{ field: 'status', from: to === 'closed' ? 'open' : 'closed', to }],
      };
    }
    case 'labeled':
    case 'unlabeled': {
      const label = str(obj(payload.label).name);
      const before =
        action === 'labeled'
          ? item.labels.filter((l) => l !== label)
          : [...item.labels, ...(label ? [label] : [])];
      return {
        changedFields: ['labels'],
        changes: [{ field: 'labels', from: before.join(', '), to: item.labels.join(', ') }],
      };
    }
    case 'assigned':
    case 'unassigned':
      return { changedFields: ['assignee'], changes: [] };
    case 'typed':
    case 'untyped':
      return { changedFields: ['type'], changes: [] };
    default:
      return { changedFields: [], changes: [] };
  }
}

function pullRequestOf(value: unknown, repository: string): PullRequest {
  const p = obj(value);
  const number = num(p.number) ?? 0;
  const head = str(obj(p.head).ref) ?? '';
  const title = str(p.title) ?? '';
  const body = str(p.body) ?? '';
  const merged = p.merged === true || str(p.merged_at) !== null;
  return {
    id: idOf(p),
    number,
    key: `${repository}#${number}`,
    url: str(p.html_url) ?? '',
    container: repository,
    title,
    description: body,
    state: merged ? 'merged' : str(p.state) === 'closed' ? 'closed' : 'open',
    draft: p.draft === true,
    sourceBranch: head,
    targetBranch: str(obj(p.base).ref) ?? '',
    author: githubPerson(p.user),
    reviewers: list(p.requested_reviewers)
      .map(githubPerson)
      .filter((r): r is Person => r !== null),
    mentions: trackerKeysIn(head, title, body),
    createdVia: null,
    createdAt: isoTime(p.created_at),
    updatedAt: isoTime(p.updated_at),
    mergedAt: isoTime(p.merged_at),
  };
}

const COMMENT_TYPES = {
  created: 'comment.created',
  edited: 'comment.updated',
  deleted: 'comment.deleted',
} as const;
const REVIEW_TYPES = {
  submitted: 'review.submitted',
  edited: 'review.updated',
  dismissed: 'review.dismissed',
} as const;
const pick = <T extends Record<string, string>>(types: T, action: string | null): T[keyof T] | undefined =>
  action !== null && Object.hasOwn(types, action) ? (types[action] as T[keyof T]) : undefined;

/** The canonical type and data of a GitHub event, or null for events the hub does not use. */
function translate(event: string, payload: Json): Normalised | null {
  const action = str(payload.action);
  const repository = str(obj(payload.repository).full_name) ?? '';
  const actor = githubPerson(payload.sender);
  switch (event) {
    case 'issues': {
      const item = githubWorkItem(payload.issue, repository);
      return {
        type:
          action === 'opened'
            ? 'work_item.created'
            : action === 'deleted'
              ? 'work_item.deleted'
              : 'work_item.updated',
        data: { actor, item, ...issueChanges(action, payload, item) },
        occurredAt: item.updatedAt,
      };
    }
    case 'issue_comment': {
      const type = pick(COMMENT_TYPES, action);
      if (!type) return null;
      const c = obj(payload.comment);
      const parent = obj(payload.issue);
      const viaApp = num(obj(c.performed_via_github_app).id);
      const data: CommentEventData = {
        actor,
        comment: {
          id: idOf(c),
          body: str(c.body) ?? '',
          author: githubPerson(c.user),
          url: str(c.html_url) ?? '',
          createdVia: viaApp === null ? null : String(viaApp),
          createdAt: isoTime(c.created_at),
          updatedAt: isoTime(c.updated_at),
        },
        on: {
          // GitHub sends comments on pull requests as `issue_comment` too, on an issue with `pull_request`.
          kind: parent.pull_request ? 'pull_request' : 'work_item',
          id: idOf(parent),
          key: `${repository}#${num(parent.number) ?? 0}`,
          url: str(parent.html_url) ?? '',
          container: repository,
        },
      };
      return { type, data, occurredAt: data.comment.updatedAt };
    }
    case 'pull_request': {
      const pullRequest = pullRequestOf(payload.pull_request, repository);
      const type =
        action === 'closed'
          ? pullRequest.state === 'merged'
            ? 'pull_request.merged'
            : 'pull_request.closed'
          : action === 'opened'
            ? 'pull_request.opened'
            : action === 'reopened'
              ? 'pull_request.reopened'
              : 'pull_request.updated';
      return { type, data: { actor, pullRequest }, occurredAt: pullRequest.updatedAt };
    }
    case 'pull_request_review': {
      const type = pick(REVIEW_TYPES, action);
      if (!type) return null;
      const r = obj(payload.review);
      const state = (str(r.state) ?? '').toLowerCase();
      const submittedAt = isoTime(r.submitted_at);
      return {
        type,
        data: {
          actor,
          review: {
            id: idOf(r),
            // GitHub's states, lower-cased; a pending review (not yet submitted) counts as a comment.
            state: (REVIEW_STATES as readonly string[]).includes(state)
              ? (state as (typeof REVIEW_STATES)[number])
              : 'commented',
            body: str(r.body) ?? '',
            author: githubPerson(r.user),
            submittedAt,
          },
          pullRequest: pullRequestOf(payload.pull_request, repository),
        },
        occurredAt: submittedAt,
      };
    }
    case 'push': {
      const ref = str(payload.ref) ?? '';
      // Tags arrive as `create`/`delete` events too: a tag push is not a branch's push.
      if (!ref.startsWith('refs/heads/')) return null;
      const commits = list(payload.commits).map((value) => {
        const c = obj(value);
        return {
          id: str(c.id) ?? '',
          message: str(c.message) ?? '',
          url: str(c.url) ?? '',
          author: { name: str(obj(c.author).name), email: str(obj(c.author).email) },
          timestamp: isoTime(c.timestamp),
        };
      });
      return {
        type: 'push',
        data: {
          actor,
          container: repository,
          branch: ref.slice('refs/heads/'.length),
          before: str(payload.before),
          after: str(payload.after),
          created: payload.created === true,
          deleted: payload.deleted === true,
          commits,
          totalCommits: commits.length,
        },
        occurredAt: isoTime(obj(payload.head_commit).timestamp),
      };
    }
    case 'create':
    case 'delete': {
      const refType = str(payload.ref_type);
      if (refType !== 'branch' && refType !== 'tag') return null;
      const verb = event === 'create' ? 'created' : 'deleted';
      return {
        type: `${refType}.${verb}`,
        data: { actor, container: repository, name: str(payload.ref) ?? '', sha: null },
        occurredAt: null,
      };
    }
    default:
      return null;
  }
}

/** Turns a verified GitHub delivery into a canonical event, or null for an event type the hub does not use. */
export function normaliseGithubDelivery(
  delivery: WebhookDelivery,
  deliveryId: string,
): CanonicalEvent | null {
  const event = delivery.headers['x-github-event'];
  if (!event) throw new ValidationError('The delivery has no X-GitHub-Event header');
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.body);
  } catch (cause) {
    throw new ValidationError('The body is not valid JSON', [], { cause });
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ValidationError('The payload is not a JSON object');
  }
  const translated = translate(event, payload as Json);
  return translated ? canonicalEvent(delivery, 'github', deliveryId, translated) : null;
}
