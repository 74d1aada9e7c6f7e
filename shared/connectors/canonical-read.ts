import type { Person, PullRequest, WorkItem } from '../events/canonical';
import { canonicalData, isCanonicalType } from '../events/canonical';
import type { CanonicalEvent } from '../events/canonical-event';
import type { CommentChange, ItemChange, ItemRef, PullRequestActivity, SyncField } from './work-items';
import { SYNC_FIELDS } from './work-items';

/**
 * How one provider's canonical items become the sync engine's changes: the parts that differ per
 * provider (how people are paired in mappings, what makes an item's id unique within a connection,
 * how the hub knows an item it created), everything else read the same for every provider.
 */
export interface CanonicalReading {
  /** A person as mappings and `Identity.actor` name them (a login on some providers, an account id on others). */
  readonly personKey: (person: Person) => string | null;
  /** The `ItemRef.id` of an item or of what a comment is on (by its canonical id and key). */
  readonly refId: (item: { readonly id: string; readonly key: string }) => string;
  /** Who created the item, as `Identity.creator` names the hub; null when the provider does not say. */
  readonly createdBy: (item: WorkItem) => string | null;
}

const keyOf = (reading: CanonicalReading, person: Person | null | undefined) =>
  person ? reading.personKey(person) : null;

/** An item's synced fields, as the engine reads them (a status by its provider's name). */
export const fieldsOf = (item: WorkItem, reading: CanonicalReading) => ({
  title: item.title,
  description: item.description,
  status: item.status.name,
  assignee: keyOf(reading, item.assignee),
  labels: [...item.labels],
});

/** A canonical item as a change (or, from a scan, a snapshot) of its synced fields. */
export function itemChangeOf(
  item: WorkItem,
  reading: CanonicalReading,
  change: {
    readonly kind: ItemChange['kind'];
    readonly changed: readonly SyncField[];
    readonly at: string;
    readonly actor: string | null;
    readonly snapshot: boolean;
  },
): ItemChange {
  const ref: ItemRef = { id: reading.refId(item), key: item.key, url: item.url };
  return {
    ref,
    container: item.container || null,
    kind: change.kind,
    fields: fieldsOf(item, reading),
    changed: change.changed,
    at: change.at,
    actor: change.actor,
    createdBy: reading.createdBy(item),
    snapshot: change.snapshot,
  };
}

/** What a scan read of an item: every field, no actor, at the item's own update time. */
export const snapshotOf = (item: WorkItem, reading: CanonicalReading, now: Date = new Date()): ItemChange =>
  itemChangeOf(item, reading, {
    kind: 'updated',
    changed: [...SYNC_FIELDS],
    at: item.updatedAt ?? now.toISOString(),
    actor: null,
    snapshot: true,
  });

/** The actor of any canonical event, as the provider keys people; null for custom events. */
export function actorOf(event: CanonicalEvent, reading: CanonicalReading): string | null {
  if (!isCanonicalType(event.type)) return null;
  const data = canonicalData(event) as { actor?: Person | null } | null;
  return keyOf(reading, data?.actor);
}

/** A `work_item.*` event as the engine's change of the item, or null for any other event. */
export function readItemChange(event: CanonicalEvent, reading: CanonicalReading): ItemChange | null {
  const type = event.type;
  if (type !== 'work_item.created' && type !== 'work_item.updated' && type !== 'work_item.deleted')
    return null;
  const data = canonicalData(event, type);
  if (!data) return null;
  return itemChangeOf(data.item, reading, {
    kind: type === 'work_item.created' ? 'created' : type === 'work_item.deleted' ? 'deleted' : 'updated',
    changed: SYNC_FIELDS.filter((f) => data.changedFields.includes(f)),
    // The item's own update time orders its changes (and matches what a scan reads); the
    // provider's event time is the fallback.
    at: data.item.updatedAt ?? event.occurredAt,
    actor: keyOf(reading, data.actor),
    snapshot: false,
  });
}

/** A `comment.*` event as the engine's comment, or null for any other event. */
export function readCommentChange(event: CanonicalEvent, reading: CanonicalReading): CommentChange | null {
  const type = event.type;
  if (type !== 'comment.created' && type !== 'comment.updated' && type !== 'comment.deleted') return null;
  const data = canonicalData(event, type);
  if (!data?.comment.id) return null;
  const author = data.comment.author;
  return {
    itemId: reading.refId(data.on),
    container: data.on.container || null,
    id: data.comment.id,
    author: author?.name ?? author?.login ?? 'Someone',
    body: data.comment.body,
    actor: keyOf(reading, data.actor),
  };
}

const STAGES: Partial<Record<string, PullRequestActivity['stage']>> = {
  'pull_request.opened': 'opened',
  'pull_request.reopened': 'opened',
  'pull_request.approved': 'approved',
  'pull_request.merged': 'merged',
  'pull_request.closed': 'closed',
};

/**
 * A pull request's stage from a `pull_request.*` or `review.*` event (an approving review is the
 * approval on providers that have no approval event of their own), or null when it is no stage.
 */
export function readPullRequestActivity(event: CanonicalEvent): PullRequestActivity | null {
  let data: { actor: Person | null; pullRequest: PullRequest } | null = null;
  let stage = STAGES[event.type];
  if (stage && isCanonicalType(event.type)) {
    data = canonicalData(event, event.type as 'pull_request.opened');
  } else if (event.type === 'review.submitted') {
    const review = canonicalData(event, 'review.submitted');
    if (review?.review.state === 'approved') {
      stage = 'approved';
      data = review;
    }
  }
  if (!stage || !data) return null;
  const pr = data.pullRequest;
  return {
    stage,
    container: pr.container || null,
    number: pr.number,
    url: pr.url,
    title: pr.title || `PR #${pr.number}`,
    text: [pr.sourceBranch, pr.title, pr.description].filter(Boolean).join('\n'),
    mentions: pr.mentions,
    byBot: data.actor?.bot === true,
    at: event.occurredAt,
  };
}
