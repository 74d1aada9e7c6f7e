import { createHash } from 'node:crypto';
import { ValidationError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import { newId } from '../../ids';
import { type Json, obj, str } from '../../json-fields';
import type { WebhookDelivery } from '../connector';

function user(value: unknown) {
  const u = obj(value);
  return str(u.accountId) === null ? null : { accountId: str(u.accountId), displayName: str(u.displayName) };
}

function issue(value: unknown) {
  const i = obj(value);
  const f = obj(i.fields);
  return {
    id: str(i.id),
    key: str(i.key),
    project: str(obj(f.project).key),
    summary: str(f.summary),
    // Jira Cloud sends descriptions in Atlassian Document Format (an object), or as text.
    description: f.description ?? null,
    status: str(obj(f.status).name),
    statusCategory: str(obj(obj(f.status).statusCategory).key),
    assignee: user(f.assignee),
    labels: Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [],
    priority: str(obj(f.priority).name),
    updated: str(f.updated),
  };
}

const ISSUE = {
  'jira:issue_created': 'created',
  'jira:issue_updated': 'updated',
  'jira:issue_deleted': 'deleted',
};
/** Jira's changelog field names for the fields the sync engine keeps in step. */
const SYNCED: Record<string, string> = {
  summary: 'title',
  description: 'description',
  status: 'status',
  assignee: 'assignee',
  labels: 'labels',
};
const COMMENT = { comment_created: 'created', comment_updated: 'updated', comment_deleted: 'deleted' };
const SPRINT = ['sprint_created', 'sprint_started', 'sprint_closed', 'sprint_updated', 'sprint_deleted'];
const VERSION = [
  'jira:version_created',
  'jira:version_released',
  'jira:version_unreleased',
  'jira:version_updated',
  'jira:version_deleted',
];

function translate(event: string, p: Json): { type: string; data: Json } | null {
  const actor = user(p.user);
  if (event in ISSUE) {
    const changes = Array.isArray(obj(p.changelog).items)
      ? (obj(p.changelog).items as unknown[]).map((c) => ({
          field: str(obj(c).field),
          from: str(obj(c).fromString),
          to: str(obj(c).toString),
        }))
      : [];
    const kind = ISSUE[event as keyof typeof ISSUE];
    const changedFields =
      kind === 'created'
        ? ['title', 'description', 'status', 'assignee', 'labels']
        : [
            ...new Set(
              changes.flatMap((c) => (c.field && c.field in SYNCED ? [SYNCED[c.field] as string] : [])),
            ),
          ];
    return {
      type: `work_item.${kind}`,
      data: { actor, workItem: { kind: 'issue', ...issue(p.issue) }, changes, changedFields },
    };
  }
  if (event in COMMENT) {
    const c = obj(p.comment);
    return {
      type: `comment.${COMMENT[event as keyof typeof COMMENT]}`,
      data: {
        actor,
        comment: { id: str(c.id), body: c.body ?? null, author: user(c.author), updated: str(c.updated) },
        workItem: { kind: 'issue', id: str(obj(p.issue).id), key: str(obj(p.issue).key) },
      },
    };
  }
  if (SPRINT.includes(event)) {
    const s = obj(p.sprint);
    return {
      type: `sprint.${event.slice('sprint_'.length)}`,
      data: {
        actor,
        sprint: { id: s.id ?? null, name: str(s.name), state: str(s.state), goal: str(s.goal) },
      },
    };
  }
  if (VERSION.includes(event)) {
    const v = obj(p.version);
    return {
      type: `version.${event.slice('jira:version_'.length)}`,
      data: {
        actor,
        version: {
          id: str(v.id),
          name: str(v.name),
          released: v.released === true,
          projectId: v.projectId ?? null,
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
  const timestamp = typeof p.timestamp === 'number' ? new Date(p.timestamp) : delivery.receivedAt;
  return {
    id: newId('evt'),
    type: translated.type,
    source: { provider: 'jira', connectionId: delivery.connectionId },
    tenantId: delivery.orgId,
    occurredAt: (Number.isNaN(timestamp.getTime()) ? delivery.receivedAt : timestamp).toISOString(),
    receivedAt: delivery.receivedAt.toISOString(),
    correlationId: delivery.correlationId,
    data: { event, ...translated.data },
    raw: { deliveryId, sha256: createHash('sha256').update(delivery.body).digest('hex') },
  };
}
