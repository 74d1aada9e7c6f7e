import { createHash } from 'node:crypto';
import type { ChatAction, ChatCard, ChatRenderer } from '../../chat/model';
import type { Person } from '../../events/canonical/index';
import { canonicalData, isCanonicalType } from '../../events/canonical/index';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { ProviderNames } from '../render/describe-event';
import { describeEvent, oneLine } from '../render/describe-event';

/** A ChatCard's bounds (see `shared/chat/model.ts`). */
const MAX_FIELDS = 10;
const MAX_ACTIONS = 5;
const MAX_FALLBACK = 300;
const MAX_FIELD_VALUE = 200;
/** Longer item keys are hashed: a key is part of a table key. */
const MAX_THREAD_KEY = 200;

type Field = { readonly label: string; readonly value: string };
type Tone = NonNullable<ChatCard['tone']>;

/**
 * Event data is untrusted and the card's `text` is Markdown: every character the subset gives a
 * meaning is escaped, so a title cannot make a link, a mention or bold text.
 */
export const escapeMarkdown = (text: string): string => text.replace(/[\\`*_[\]()<>#~|!]/g, '\\$&');

const personName = (p: Person | null | undefined): string | null =>
  p ? oneLine(p.name || p.login || p.id, 100) || null : null;

const field = (label: string, value: string | null | undefined): Field | null => {
  const text = value === null || value === undefined ? '' : oneLine(value, MAX_FIELD_VALUE);
  return text ? { label, value: text } : null;
};

interface Facts {
  readonly fields: readonly (Field | null)[];
  readonly tone: Tone;
  /** Lines of the body beyond the fields (plain text: escaped when laid out). */
  readonly lines?: readonly (string | null | undefined)[];
}

/** The fields, tone and body each canonical family shows; null for a custom type or data that does not fit. */
function factsOf(event: CanonicalEvent): Facts | null {
  const type = event.type;
  if (!isCanonicalType(type)) return null;
  const family = type.split('.')[0];
  if (family === 'work_item') {
    const d = canonicalData(event, type as 'work_item.updated');
    if (!d) return null;
    const { item } = d;
    return {
      fields: [
        field('Status', item.status.name),
        field('Assignee', personName(item.assignee) ?? 'Unassigned'),
        field('Type', item.type),
        field('Priority', item.priority),
        field('Project', item.container),
        field('Due', item.dueDate),
        field('Labels', item.labels.join(', ')),
      ],
      tone: type === 'work_item.deleted' ? 'warning' : item.status.category === 'done' ? 'good' : 'neutral',
      lines: [
        type === 'work_item.updated' ? null : item.title,
        ...d.changes
          .filter((c) => c.field !== 'description')
          .map((c) => `${c.field}: ${c.from ?? '—'} → ${c.to ?? '—'}`),
      ],
    };
  }
  if (family === 'pull_request') {
    const d = canonicalData(event, type as 'pull_request.merged');
    if (!d) return null;
    const pr = d.pullRequest;
    return {
      fields: [
        field('State', `${pr.state}${pr.draft ? ' (draft)' : ''}`),
        field('Branch', `${pr.sourceBranch} → ${pr.targetBranch}`),
        field('Author', personName(pr.author)),
        field('Reviewers', pr.reviewers.map((r) => personName(r)).join(', ')),
        field('Repository', pr.container),
        field('Mentions', pr.mentions.join(', ')),
      ],
      tone:
        type === 'pull_request.merged' || type === 'pull_request.approved'
          ? 'good'
          : type === 'pull_request.closed'
            ? 'warning'
            : 'neutral',
    };
  }
  if (family === 'review') {
    const d = canonicalData(event, type as 'review.submitted');
    if (!d) return null;
    const state = d.review.state;
    return {
      fields: [
        field('Review', state.replace(/_/g, ' ')),
        field('Reviewer', personName(d.review.author ?? d.actor)),
        field('Pull request', `#${d.pullRequest.number} ${d.pullRequest.title}`),
        field('Repository', d.pullRequest.container),
      ],
      tone: state === 'approved' ? 'good' : state === 'changes_requested' ? 'warning' : 'neutral',
      lines: [d.review.body],
    };
  }
  if (family === 'comment') {
    const d = canonicalData(event, type as 'comment.created');
    if (!d) return null;
    return {
      fields: [
        field('On', d.on.key),
        field('Author', personName(d.comment.author ?? d.actor)),
        field(d.on.kind === 'pull_request' ? 'Repository' : 'Project', d.on.container),
      ],
      tone: 'neutral',
      lines: [type === 'comment.deleted' ? null : d.comment.body],
    };
  }
  if (family === 'push') {
    const d = canonicalData(event, 'push');
    if (!d) return null;
    return {
      fields: [
        field('Branch', d.branch),
        field('Commits', String(d.totalCommits)),
        field('Repository', d.container),
      ],
      tone: d.deleted ? 'warning' : 'neutral',
      lines: d.commits.slice(0, 5).map((c) => `${c.id.slice(0, 7)} ${c.message.split('\n')[0]}`),
    };
  }
  if (family === 'pipeline' || family === 'build') {
    const run =
      family === 'pipeline'
        ? canonicalData(event, type as 'pipeline.failed')?.pipeline
        : canonicalData(event, type as 'build.failed')?.build;
    if (!run) return null;
    return {
      fields: [
        field('Status', run.status),
        field('Ref', run.ref),
        field('Commit', run.sha?.slice(0, 12)),
        field('Repository', run.container),
      ],
      tone:
        run.state === 'failed'
          ? 'danger'
          : run.state === 'succeeded'
            ? 'good'
            : run.state === 'canceled'
              ? 'warning'
              : 'neutral',
    };
  }
  if (family === 'branch' || family === 'tag') {
    const d = canonicalData(event, type as 'branch.created');
    if (!d) return null;
    return {
      fields: [
        field(family === 'branch' ? 'Branch' : 'Tag', d.name),
        field('Commit', d.sha?.slice(0, 12)),
        field('Repository', d.container),
      ],
      tone: type.endsWith('.deleted') ? 'warning' : 'neutral',
    };
  }
  if (family === 'sprint') {
    const d = canonicalData(event, type as 'sprint.started');
    if (!d) return null;
    return {
      fields: [
        field('State', d.sprint.state),
        field('Goal', d.sprint.goal),
        field('Ends', d.sprint.endAt?.slice(0, 10)),
      ],
      tone: 'neutral',
    };
  }
  if (family === 'release') {
    const d = canonicalData(event, type as 'release.released');
    if (!d) return null;
    return {
      fields: [
        field('Release date', d.release.releaseDate),
        field('Released', d.release.released ? 'yes' : 'no'),
        field('Project', d.release.container),
      ],
      tone: type === 'release.released' ? 'good' : 'neutral',
    };
  }
  return null;
}

/** `2026-01-15 10:30 UTC`: one form every platform shows the same. */
const when = (iso: string) => {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? null : `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

/**
 * The neutral card of a canonical event, built on the channel-neutral description the email uses:
 * a title linking to the item, its fields (status, assignee, branch, state…), what changed, the
 * provider and time in small print, the links as buttons, and a tone.
 */
export function chatCard(event: CanonicalEvent, providerNames?: ProviderNames): ChatCard {
  const summary = describeEvent(event, providerNames);
  const facts = factsOf(event);
  // A custom type shows its scalars (the description's lines) as fields.
  const fields = facts
    ? facts.fields.filter((f): f is Field => f !== null)
    : summary.lines.flatMap((line) => {
        const at = line.indexOf(': ');
        return at > 0 ? [{ label: line.slice(0, at), value: line.slice(at + 2) }] : [];
      });
  const lines = (facts?.lines ?? [])
    .flatMap((l) => (typeof l === 'string' && oneLine(l) !== '' ? [oneLine(l)] : []))
    .slice(0, 8);
  const context = [
    summary.provider,
    summary.actor ? `by ${summary.actor}` : null,
    when(summary.occurredAt),
  ].filter((p): p is string => Boolean(p));
  const [primary] = summary.links;
  const actions: ChatAction[] = summary.links
    .slice(0, MAX_ACTIONS)
    .map((l) => ({ kind: 'link', label: l.label, url: l.url }));
  return {
    title: summary.title,
    ...(primary ? { titleUrl: primary.url } : {}),
    ...(lines.length > 0 ? { text: lines.map(escapeMarkdown).join('\n') } : {}),
    ...(fields.length > 0 ? { fields: fields.slice(0, MAX_FIELDS) } : {}),
    context: context.join(' · '),
    ...(actions.length > 0 ? { actions } : {}),
    tone: facts?.tone ?? 'neutral',
    fallback: oneLine(summary.title, MAX_FALLBACK),
  };
}

/** The short reply posted in an item's thread for a notable change (its card is updated too). */
export function replyCard(card: ChatCard): ChatCard {
  return {
    title: card.title,
    ...(card.titleUrl ? { titleUrl: card.titleUrl } : {}),
    ...(card.context ? { context: card.context } : {}),
    ...(card.tone ? { tone: card.tone } : {}),
    fallback: card.fallback,
  };
}

/**
 * Renderers by event-type prefix (`approval.` → the approvals' interactive card), the longest
 * matching prefix winning; any other event gets `chatCard`. The wiring supplies the map.
 */
export type ChatRenderers = Readonly<Record<string, ChatRenderer>>;

/** The renderer of an event's type: the longest matching prefix's, else `chatCard`. */
export function rendererFor(
  renderers: ChatRenderers | undefined,
  type: string,
  providerNames?: ProviderNames,
): ChatRenderer {
  const prefix = Object.keys(renderers ?? {})
    .filter((p) => type.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  const chosen = prefix !== undefined ? renderers?.[prefix] : undefined;
  return chosen ?? ((event) => chatCard(event, providerNames));
}

const bounded = (key: string) =>
  key.length <= MAX_THREAD_KEY ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;

/**
 * The item an event is about, which groups its card and thread in a conversation: a work item by
 * its key; a pull request by the first tracker key it mentions (so a PR's merge updates its work
 * item's card), else by repository and number; a comment by what it is on; a pipeline or build
 * by its run; a sprint or release by its id. Null for events about no lasting item (a push, a
 * branch, a custom type): each posts a card of its own.
 */
export function itemKeyOf(event: CanonicalEvent): string | null {
  const type = event.type;
  if (!isCanonicalType(type)) return null;
  const family = type.split('.')[0];
  const pr = (p: { container: string; number: number; mentions: readonly string[] }) =>
    p.mentions[0] ? `item:${p.mentions[0]}` : `pr:${p.container}#${p.number}`;
  let key: string | null = null;
  if (family === 'work_item')
    key = mapped(canonicalData(event, type as 'work_item.updated'), (d) => `item:${d.item.key}`);
  else if (family === 'pull_request')
    key = mapped(canonicalData(event, type as 'pull_request.merged'), (d) => pr(d.pullRequest));
  else if (family === 'review')
    key = mapped(canonicalData(event, type as 'review.submitted'), (d) => pr(d.pullRequest));
  else if (family === 'comment')
    key = mapped(canonicalData(event, type as 'comment.created'), (d) =>
      d.on.kind === 'work_item' ? `item:${d.on.key}` : `pr:${d.on.key}`,
    );
  else if (family === 'pipeline')
    key = mapped(
      canonicalData(event, type as 'pipeline.failed'),
      (d) => `run:${d.pipeline.container}:${d.pipeline.id}`,
    );
  else if (family === 'build')
    key = mapped(
      canonicalData(event, type as 'build.failed'),
      (d) => `run:${d.build.container}:${d.build.id}`,
    );
  else if (family === 'sprint')
    key = mapped(
      canonicalData(event, type as 'sprint.started'),
      (d) => `sprint:${event.source.connectionId}:${d.sprint.id}`,
    );
  else if (family === 'release')
    key = mapped(
      canonicalData(event, type as 'release.released'),
      (d) => `release:${event.source.connectionId}:${d.release.id}`,
    );
  return key === null ? null : bounded(key);
}

const mapped = <D>(data: D | null, key: (d: D) => string): string | null =>
  data === null ? null : key(data);

/**
 * A change worth a reply in the item's thread besides the card's update: a pull request merged,
 * a work item moved to a done status.
 */
export function isNotable(event: CanonicalEvent): boolean {
  if (event.type === 'pull_request.merged') return true;
  if (event.type !== 'work_item.updated') return false;
  const d = canonicalData(event, 'work_item.updated');
  return (
    d !== null &&
    d.item.status.category === 'done' &&
    (d.changedFields.includes('status') || d.changes.some((c) => c.field === 'status'))
  );
}
