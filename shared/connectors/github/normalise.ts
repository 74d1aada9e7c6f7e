import { createHash } from 'node:crypto';
import { ValidationError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import { newId } from '../../ids';
import { type Json, num, obj, str } from '../../json-fields';
import type { WebhookDelivery } from '../connector';

const logins = (value: unknown): string[] =>
  Array.isArray(value) ? value.map((u) => str(obj(u).login)).filter((l): l is string => l !== null) : [];
const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.map((l) => str(obj(l).name)).filter((n): n is string => n !== null) : [];

function issue(value: unknown) {
  const i = obj(value);
  return {
    id: num(i.id),
    number: num(i.number),
    title: str(i.title),
    body: str(i.body),
    state: str(i.state),
    labels: names(i.labels),
    assignees: logins(i.assignees),
    author: str(obj(i.user).login),
    url: str(i.html_url),
    updatedAt: str(i.updated_at),
    // Set when a GitHub App made the change: the hub recognises its own writes by its app id.
    viaApp: num(obj(i.performed_via_github_app).id),
  };
}

/** Which synced fields an `issues` action changed; an opened issue brings all of them. */
function changedFields(action: string | null, payload: Json): string[] {
  switch (action) {
    case 'opened':
      return ['title', 'description', 'status', 'assignee', 'labels'];
    case 'edited':
      return Object.keys(obj(payload.changes)).flatMap((k) =>
        k === 'title' ? ['title'] : k === 'body' ? ['description'] : [],
      );
    case 'closed':
    case 'reopened':
      return ['status'];
    case 'labeled':
    case 'unlabeled':
      return ['labels'];
    case 'assigned':
    case 'unassigned':
      return ['assignee'];
    default:
      return [];
  }
}

function pullRequest(value: unknown) {
  const p = obj(value);
  return {
    ...issue(p),
    draft: p.draft === true,
    merged: p.merged === true,
    headRef: str(obj(p.head).ref),
    headSha: str(obj(p.head).sha),
    baseRef: str(obj(p.base).ref),
    requestedReviewers: logins(p.requested_reviewers),
  };
}

const ISSUE_TYPES: Record<string, string> = {
  opened: 'work_item.created',
  closed: 'work_item.closed',
  reopened: 'work_item.reopened',
  deleted: 'work_item.deleted',
};

const PR_TYPES: Record<string, string> = { opened: 'pull_request.opened', reopened: 'pull_request.reopened' };

/** The canonical type and data of a GitHub event, or null for events the hub does not use. */
function translate(
  event: string,
  payload: Json,
): { type: string; data: Json; occurredAt: string | null } | null {
  const action = str(payload.action);
  const base = {
    action,
    repository: { id: num(obj(payload.repository).id), fullName: str(obj(payload.repository).full_name) },
    sender: str(obj(payload.sender).login),
    installationId: num(obj(payload.installation).id),
  };
  switch (event) {
    case 'issues': {
      const item = issue(payload.issue);
      return {
        type: ISSUE_TYPES[action ?? ''] ?? 'work_item.updated',
        data: {
          ...base,
          workItem: { kind: 'issue', ...item },
          changedFields: changedFields(action, payload),
        },
        occurredAt: item.updatedAt,
      };
    }
    case 'issue_comment': {
      const c = obj(payload.comment);
      const parent = obj(payload.issue);
      const type = { created: 'comment.created', edited: 'comment.updated', deleted: 'comment.deleted' }[
        action ?? ''
      ];
      if (!type) return null;
      return {
        type,
        data: {
          ...base,
          comment: {
            id: num(c.id),
            body: str(c.body),
            author: str(obj(c.user).login),
            url: str(c.html_url),
            viaApp: num(obj(c.performed_via_github_app).id),
          },
          workItem: {
            kind: parent.pull_request ? 'pull_request' : 'issue',
            id: num(parent.id),
            number: num(parent.number),
          },
        },
        occurredAt: str(c.updated_at),
      };
    }
    case 'pull_request': {
      const pr = pullRequest(payload.pull_request);
      const type =
        action === 'closed'
          ? pr.merged
            ? 'pull_request.merged'
            : 'pull_request.closed'
          : (PR_TYPES[action ?? ''] ?? 'pull_request.updated');
      return { type, data: { ...base, pullRequest: pr }, occurredAt: pr.updatedAt };
    }
    case 'pull_request_review': {
      const r = obj(payload.review);
      const type = { submitted: 'review.submitted', edited: 'review.updated', dismissed: 'review.dismissed' }[
        action ?? ''
      ];
      if (!type) return null;
      const pr = pullRequest(payload.pull_request);
      return {
        type,
        data: {
          ...base,
          review: {
            id: num(r.id),
            state: str(r.state)?.toLowerCase() ?? null,
            body: str(r.body),
            author: str(obj(r.user).login),
            submittedAt: str(r.submitted_at),
          },
          pullRequest: { id: pr.id, number: pr.number, title: pr.title, headRef: pr.headRef, url: pr.url },
        },
        occurredAt: str(r.submitted_at),
      };
    }
    case 'push': {
      const ref = str(payload.ref) ?? '';
      if (!ref.startsWith('refs/heads/')) return null;
      const head = obj(payload.head_commit);
      return {
        type: 'branch.pushed',
        data: {
          ...base,
          branch: ref.slice('refs/heads/'.length),
          before: str(payload.before),
          after: str(payload.after),
          created: payload.created === true,
          deleted: payload.deleted === true,
          commits: Array.isArray(payload.commits) ? payload.commits.length : 0,
          headCommit: { id: str(head.id), message: str(head.message) },
        },
        occurredAt: str(head.timestamp),
      };
    }
    case 'create':
    case 'delete': {
      const refType = str(payload.ref_type);
      if (refType !== 'branch' && refType !== 'tag') return null;
      return {
        type: `${refType}.${event === 'create' ? 'created' : 'deleted'}`,
        data: { ...base, ref: str(payload.ref), refType },
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
  if (!translated) return null;
  const occurredAt =
    translated.occurredAt && !Number.isNaN(Date.parse(translated.occurredAt))
      ? new Date(translated.occurredAt)
      : delivery.receivedAt;
  return {
    id: newId('evt'),
    type: translated.type,
    source: { provider: 'github', connectionId: delivery.connectionId },
    tenantId: delivery.orgId,
    occurredAt: occurredAt.toISOString(),
    receivedAt: delivery.receivedAt.toISOString(),
    correlationId: delivery.correlationId,
    data: { event, ...translated.data },
    raw: { deliveryId, sha256: createHash('sha256').update(delivery.body).digest('hex') },
  };
}
