import { ValidationError } from '../../errors';
import type { FieldChangeSchema, Normalised, Person, WorkItem, WorkItemField } from '../../events/canonical';
import { canonicalEvent, isoTime, WORK_ITEM_FIELDS } from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import { type Json, obj, str } from '../../json-fields';
import type { WebhookDelivery } from '../connector';
import { fromAdf } from './adf';

type FieldChange = ReturnType<typeof FieldChangeSchema.parse>;

/** A Jira account as a canonical person: keyed by account id, Jira has no login handle. */
export function jiraPerson(value: unknown): Person | null {
  const u = obj(value);
  const id = str(u.accountId);
  if (id === null) return null;
  const email = str(u.emailAddress);
  return {
    id,
    login: null,
    name: str(u.displayName),
    ...(email ? { email } : {}),
    bot: u.accountType === 'app',
  };
}

/** Jira's status categories (`statusCategory.key`) as the canonical ones. */
const CATEGORIES: Record<string, WorkItem['status']['category']> = {
  new: 'todo',
  indeterminate: 'in_progress',
  done: 'done',
};

/** The site a Jira API URL (`self`) belongs to: everything before `/rest/`. */
const siteOf = (self: string | null) =>
  self?.includes('/rest/') ? self.slice(0, self.indexOf('/rest/')) : '';
const browse = (site: string, key: string) => (site ? `${site.replace(/\/$/, '')}/browse/${key}` : '');

/**
 * A Jira issue (from a webhook or the REST API, which share the shape) as a canonical work item:
 * its ADF description as Markdown, its status with its category, people by account id. `site` is
 * where people see it; without one, the site its `self` URL names.
 */
export function jiraWorkItem(value: unknown, site?: string): WorkItem {
  const i = obj(value);
  const f = obj(i.fields);
  const key = str(i.key) ?? '';
  const at = site || siteOf(str(i.self));
  const status = obj(f.status);
  const parent = obj(f.parent);
  const parentKey = str(parent.key);
  const creator = jiraPerson(f.creator);
  return {
    id: str(i.id) ?? '',
    key,
    url: browse(at, key),
    container: str(obj(f.project).key) ?? key.split('-')[0] ?? '',
    type: str(obj(f.issuetype).name) ?? '',
    title: str(f.summary) ?? '',
    // Jira Cloud sends descriptions in Atlassian Document Format (an object), Server as text.
    description: fromAdf(f.description),
    status: {
      name: str(status.name) ?? '',
      category: CATEGORIES[str(obj(status.statusCategory).key) ?? ''] ?? 'todo',
    },
    assignee: jiraPerson(f.assignee),
    reporter: jiraPerson(f.reporter),
    labels: Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [],
    priority: str(obj(f.priority).name),
    dueDate: str(f.duedate),
    parent: parentKey ? { id: str(parent.id) ?? '', key: parentKey, url: browse(at, parentKey) } : null,
    ...(creator ? { creator } : {}),
    createdVia: null,
    createdAt: isoTime(f.created),
    updatedAt: isoTime(f.updated),
  };
}

const ISSUE = {
  'jira:issue_created': 'work_item.created',
  'jira:issue_updated': 'work_item.updated',
  'jira:issue_deleted': 'work_item.deleted',
} as const;
/** Jira's changelog field names (`field`) as the canonical fields. */
const FIELDS: Record<string, WorkItemField> = {
  summary: 'title',
  description: 'description',
  status: 'status',
  assignee: 'assignee',
  labels: 'labels',
  priority: 'priority',
  duedate: 'dueDate',
  issuetype: 'type',
  parent: 'parent',
  IssueParentAssociation: 'parent',
  'Epic Link': 'parent',
};
const COMMENT = {
  comment_created: 'comment.created',
  comment_updated: 'comment.updated',
  comment_deleted: 'comment.deleted',
} as const;
const SPRINT = {
  sprint_created: 'sprint.created',
  sprint_started: 'sprint.started',
  sprint_closed: 'sprint.closed',
  sprint_updated: 'sprint.updated',
  sprint_deleted: 'sprint.deleted',
} as const;
const VERSION = {
  'jira:version_created': 'release.created',
  'jira:version_released': 'release.released',
  'jira:version_unreleased': 'release.unreleased',
  'jira:version_updated': 'release.updated',
  'jira:version_deleted': 'release.deleted',
} as const;
const typeIn = <T extends Record<string, string>>(types: T, event: string): T[keyof T] | undefined =>
  Object.hasOwn(types, event) ? (types[event] as T[keyof T]) : undefined;

function translate(event: string, p: Json): Omit<Normalised, 'occurredAt'> | null {
  const actor = jiraPerson(p.user);
  const issueType = typeIn(ISSUE, event);
  if (issueType) {
    const changes: FieldChange[] = (
      Array.isArray(obj(p.changelog).items) ? (obj(p.changelog).items as unknown[]) : []
    )
      .map(obj)
      .flatMap((c) => {
        const field = FIELDS[str(c.field) ?? ''] ?? FIELDS[str(c.fieldId) ?? ''];
        return field ? [{ field, from: str(c.fromString), to: str(c.toString) }] : [];
      });
    const changedFields: WorkItemField[] =
      issueType === 'work_item.created' ? [...WORK_ITEM_FIELDS] : [...new Set(changes.map((c) => c.field))];
    return { type: issueType, data: { actor, item: jiraWorkItem(p.issue), changedFields, changes } };
  }
  const commentType = typeIn(COMMENT, event);
  if (commentType) {
    const c = obj(p.comment);
    const issue = obj(p.issue);
    const key = str(issue.key) ?? '';
    const site = siteOf(str(c.self) ?? str(issue.self));
    const id = str(c.id) ?? '';
    // Comment events name no `user`: the comment's author (or its last editor) made the change.
    const by = jiraPerson(event === 'comment_created' ? c.author : c.updateAuthor);
    return {
      type: commentType,
      data: {
        actor: actor ?? by,
        comment: {
          id,
          body: fromAdf(c.body),
          author: jiraPerson(c.author),
          url: site && key ? `${browse(site, key)}?focusedCommentId=${id}` : '',
          createdVia: null,
          createdAt: isoTime(c.created),
          updatedAt: isoTime(c.updated),
        },
        on: {
          kind: 'work_item',
          id: str(issue.id) ?? '',
          key,
          url: browse(site, key),
          container: str(obj(obj(issue.fields).project).key) ?? key.split('-')[0] ?? '',
        },
      },
    };
  }
  const sprintType = typeIn(SPRINT, event);
  if (sprintType) {
    const s = obj(p.sprint);
    return {
      type: sprintType,
      data: {
        actor,
        sprint: {
          id: String(s.id ?? ''),
          name: str(s.name) ?? '',
          state: str(s.state),
          goal: str(s.goal),
          startAt: isoTime(s.startDate),
          endAt: isoTime(s.endDate) ?? isoTime(s.completeDate),
        },
      },
    };
  }
  const versionType = typeIn(VERSION, event);
  if (versionType) {
    const v = obj(p.version);
    return {
      type: versionType,
      data: {
        actor,
        release: {
          id: String(v.id ?? ''),
          name: str(v.name) ?? '',
          released: v.released === true,
          // A version names its project by id only; the project key is not in the payload.
          container: null,
          releaseDate: str(v.releaseDate) ?? str(v.userReleaseDate),
        },
      },
    };
  }
  return null;
}

/** Turns a verified Jira delivery into a canonical event, or null for an event type the hub does not use. */
export function normaliseJiraDelivery(delivery: WebhookDelivery, deliveryId: string): CanonicalEvent | null {
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.body);
  } catch (cause) {
    throw new ValidationError('The body is not valid JSON', [], { cause });
  }
  const p = obj(payload);
  const event = str(p.webhookEvent);
  if (!event) throw new ValidationError('The payload has no webhookEvent');
  const translated = translate(event, p);
  if (!translated) return null;
  return canonicalEvent(delivery, 'jira', deliveryId, {
    ...translated,
    occurredAt: isoTime(p.timestamp),
  } as Normalised);
}
