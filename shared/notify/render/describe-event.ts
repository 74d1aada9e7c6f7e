import type { Person } from '../../events/canonical/index';
import { CUSTOM_TYPE_PREFIX, canonicalData, isCanonicalType } from '../../events/canonical/index';
import type { CanonicalEvent } from '../../events/canonical-event';

/**
 * What happened, in words every channel can show: read from the canonical model only, so an event
 * reads the same whichever provider it came from. Channel-neutral (no markup): email, and the chat
 * channels of the next issue, each lay it out their own way, escaping as their format needs.
 */
export interface EventSummary {
  readonly eventId: string;
  readonly type: string;
  /** One line: `PR #12 merged: Fix login`, `PROJ-7 moved to Done`. */
  readonly title: string;
  /** A few lines of what changed, each bounded. */
  readonly lines: readonly string[];
  /** Who did it, as people call them; null when the provider did not say. */
  readonly actor: string | null;
  /** Links back to the item, the pull request, the run: http(s) only. */
  readonly links: readonly { readonly label: string; readonly url: string }[];
  /** The provider's display name (`GitHub`, `Jira`), or its id when no module names it. */
  readonly provider: string;
  /** The project or repository, when the event has one. */
  readonly container: string | null;
  readonly occurredAt: string;
}

/** Looks up a provider's display name; the wiring passes the modules' (this layer names no provider). */
export type ProviderNames = (provider: string) => string | undefined;

const MAX_TITLE = 200;
const MAX_LINE = 300;
const MAX_LINES = 8;
const MAX_LINKS = 5;

/** Event data is untrusted: one line, no control characters, bounded. */
export function oneLine(value: unknown, max = MAX_LINE): string {
  const text = String(value ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const personName = (p: Person | null | undefined): string | null =>
  p ? oneLine(p.name || p.login || p.id, 100) || null : null;

/** Only web links: a `javascript:` or `data:` URL from a payload never becomes a link. */
const webUrl = (url: string | null | undefined): string | null => {
  if (!url || url.length > 2000) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
};

const verbOf = (type: string) => type.slice(type.lastIndexOf('.') + 1).replace(/_/g, ' ');

interface Parts {
  title: string;
  lines: (string | null | undefined | false)[];
  actor: Person | null | undefined;
  links: { label: string; url: string | null | undefined }[];
  container: string | null | undefined;
}

function describeKnown(event: CanonicalEvent): Parts | null {
  const type = event.type;
  const verb = verbOf(type);
  if (type.startsWith('work_item.')) {
    const d = canonicalData(event, type as 'work_item.updated');
    if (!d) return null;
    const { item } = d;
    const status = d.changes.find((c) => c.field === 'status');
    const title =
      type === 'work_item.updated' && status?.to
        ? `${item.key} moved to ${status.to}`
        : `${item.key} ${verb}: ${item.title}`;
    return {
      title,
      lines: [
        type === 'work_item.updated' && status?.to ? item.title : null,
        ...d.changes.map((c) => `${c.field}: ${c.from ?? '—'} → ${c.to ?? '—'}`),
        d.changes.length === 0 && type === 'work_item.updated' && d.changedFields.length > 0
          ? `Changed: ${d.changedFields.join(', ')}`
          : null,
        type !== 'work_item.updated' ? `Status: ${item.status.name}` : null,
        item.assignee ? `Assignee: ${personName(item.assignee)}` : null,
      ],
      actor: d.actor,
      links: [{ label: `Open ${item.key}`, url: item.url }],
      container: item.container,
    };
  }
  if (type.startsWith('comment.')) {
    const d = canonicalData(event, type as 'comment.created');
    if (!d) return null;
    const what = type === 'comment.created' ? 'New comment' : `Comment ${verb}`;
    return {
      title: `${what} on ${d.on.key}`,
      lines: [type === 'comment.deleted' ? null : d.comment.body],
      actor: d.actor ?? d.comment.author,
      links: [
        { label: 'Open the comment', url: d.comment.url },
        { label: `Open ${d.on.key}`, url: d.on.url },
      ],
      container: d.on.container,
    };
  }
  if (type.startsWith('pull_request.')) {
    const d = canonicalData(event, type as 'pull_request.merged');
    if (!d) return null;
    const pr = d.pullRequest;
    return {
      title: `PR #${pr.number} ${verb}: ${pr.title}`,
      lines: [
        `${pr.container}: ${pr.sourceBranch} → ${pr.targetBranch}${pr.draft ? ' (draft)' : ''}`,
        pr.author ? `Author: ${personName(pr.author)}` : null,
        pr.mentions.length > 0 ? `Mentions: ${pr.mentions.join(', ')}` : null,
      ],
      actor: d.actor,
      links: [{ label: `Open PR #${pr.number}`, url: pr.url }],
      container: pr.container,
    };
  }
  if (type.startsWith('review.')) {
    const d = canonicalData(event, type as 'review.submitted');
    if (!d) return null;
    const pr = d.pullRequest;
    return {
      title: `Review ${verb} on PR #${pr.number}: ${d.review.state.replace(/_/g, ' ')}`,
      lines: [pr.title, d.review.body],
      actor: d.actor ?? d.review.author,
      links: [{ label: `Open PR #${pr.number}`, url: pr.url }],
      container: pr.container,
    };
  }
  if (type.startsWith('branch.') || type.startsWith('tag.')) {
    const d = canonicalData(event, type as 'branch.created');
    if (!d) return null;
    const kind = type.startsWith('branch.') ? 'Branch' : 'Tag';
    return {
      title: `${kind} ${d.name} ${verb} in ${d.container}`,
      lines: [d.sha ? `At ${d.sha.slice(0, 12)}` : null],
      actor: d.actor,
      links: [],
      container: d.container,
    };
  }
  if (type === 'push') {
    const d = canonicalData(event, 'push');
    if (!d) return null;
    const n = d.totalCommits;
    return {
      title: `${n} commit${n === 1 ? '' : 's'} pushed to ${d.branch} in ${d.container}`,
      lines: d.commits.slice(0, 5).map((c) => `${c.id.slice(0, 7)} ${c.message.split('\n')[0]}`),
      actor: d.actor,
      links: d.commits.slice(0, 1).map((c) => ({ label: 'Open the latest commit', url: c.url })),
      container: d.container,
    };
  }
  if (type.startsWith('pipeline.') || type.startsWith('build.')) {
    const pipeline = type.startsWith('pipeline.');
    const run = pipeline
      ? canonicalData(event, type as 'pipeline.failed')?.pipeline
      : canonicalData(event, type as 'build.failed')?.build;
    if (!run) return null;
    const actor = pipeline
      ? canonicalData(event, type as 'pipeline.failed')?.actor
      : canonicalData(event, type as 'build.failed')?.actor;
    return {
      title: `${pipeline ? 'Pipeline' : 'Build'} ${run.name ? `${run.name} ` : ''}${verb} in ${run.container}`,
      lines: [
        run.ref ? `On ${run.ref}${run.sha ? ` at ${run.sha.slice(0, 7)}` : ''}` : null,
        `Status: ${run.status}`,
      ],
      actor,
      links: [{ label: `Open the ${pipeline ? 'pipeline' : 'build'}`, url: run.url }],
      container: run.container,
    };
  }
  if (type.startsWith('sprint.')) {
    const d = canonicalData(event, type as 'sprint.started');
    if (!d) return null;
    return {
      title: `Sprint ${d.sprint.name} ${verb}`,
      lines: [
        d.sprint.goal ? `Goal: ${d.sprint.goal}` : null,
        d.sprint.endAt ? `Ends ${d.sprint.endAt}` : null,
      ],
      actor: d.actor,
      links: [],
      container: null,
    };
  }
  if (type.startsWith('approval.')) {
    const d = canonicalData(event, type as 'approval.decided');
    if (!d) return null;
    const a = d.approval;
    const question = a.question.split('\n', 1)[0] ?? '';
    const decided = a.decision;
    const asked = { id: a.requestedBy.id, login: null, name: a.requestedBy.name };
    return {
      title:
        type === 'approval.decided' && decided
          ? `Approval decided: ${decided.label} — ${question}`
          : `Approval ${verb}: ${question}`,
      lines: [
        `Options: ${a.options.map((o) => o.label).join(' / ')}`,
        decided ? `Decided by ${decided.by.name} via ${decided.via}` : null,
        a.status === 'pending' ? `Expires ${a.expiresAt}` : null,
        a.cancelled ? `Cancelled by ${a.cancelled.by.name}` : null,
      ],
      actor: decided ? { id: decided.by.userId, login: null, name: decided.by.name } : asked,
      links: [],
      container: null,
    };
  }
  if (type.startsWith('release.')) {
    const d = canonicalData(event, type as 'release.released');
    if (!d) return null;
    return {
      title: `Release ${d.release.name} ${verb}`,
      lines: [d.release.releaseDate ? `Release date: ${d.release.releaseDate}` : null],
      actor: d.actor,
      links: [],
      container: d.release.container,
    };
  }
  return null;
}

/** A custom type (or data that does not fit its type): the type, and a few of its top-level values. */
function describeGeneric(event: CanonicalEvent): Parts {
  const shown = event.type.startsWith(CUSTOM_TYPE_PREFIX)
    ? event.type.slice(CUSTOM_TYPE_PREFIX.length)
    : event.type;
  const scalars = Object.entries(event.data ?? {})
    .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, MAX_LINES)
    .map(([k, v]) => `${oneLine(k, 60)}: ${oneLine(v, 200)}`);
  return { title: `Event ${shown}`, lines: scalars, actor: null, links: [], container: null };
}

/** The summary of an event, for every channel's template. */
export function describeEvent(event: CanonicalEvent, providerNames?: ProviderNames): EventSummary {
  const parts = (isCanonicalType(event.type) ? describeKnown(event) : null) ?? describeGeneric(event);
  const links = parts.links
    .flatMap((l) => {
      const url = webUrl(l.url);
      return url ? [{ label: oneLine(l.label, 100), url }] : [];
    })
    .filter((l, i, all) => all.findIndex((o) => o.url === l.url) === i)
    .slice(0, MAX_LINKS);
  return {
    eventId: event.id,
    type: event.type,
    title: oneLine(parts.title, MAX_TITLE),
    lines: parts.lines
      .flatMap((l) => (typeof l === 'string' && oneLine(l) !== '' ? [oneLine(l)] : []))
      .slice(0, MAX_LINES),
    actor: personName(parts.actor ?? null),
    links,
    provider: oneLine(providerNames?.(event.source.provider) ?? event.source.provider, 60),
    container: parts.container ? oneLine(parts.container, 200) : null,
    occurredAt: event.occurredAt,
  };
}
