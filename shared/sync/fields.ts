import { fromAdf, toAdf } from '../connectors/jira/adf';
import type { Mapping, Side, SyncField } from './mapping';

/**
 * The canonical form of each synced field, and its translation to and from each side:
 * - title, description: text (descriptions as Markdown, in the form a round trip through Jira's
 *   document format gives, so an echo compares equal);
 * - status: a Jira status name (GitHub's open/closed through the mapping's status pairs);
 * - assignee: a Jira account id or null (GitHub logins through the user pairs);
 * - labels: Jira's label names, sorted (GitHub's through the mapping's renames).
 * A translation returns `undefined` when a value has no counterpart (an unpaired user): the change
 * is then not synced rather than synced wrong.
 */
export type Canonical = string | string[] | null;

export const canonicalText = (markdown: string | null | undefined): string =>
  markdown ? fromAdf(toAdf(markdown.replace(/\r\n/g, '\n'))).trim() : '';

const sorted = (values: string[]) => [...new Set(values)].sort();

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** A side's native value as canonical. `current` is the link's value (GitHub's open/closed is coarser than Jira's statuses). */
export function fromSide(
  field: SyncField,
  side: Side,
  native: unknown,
  mapping: Mapping,
  current: Canonical | undefined,
): Canonical | undefined {
  switch (field) {
    case 'title':
      return typeof native === 'string' ? native.trim() : undefined;
    case 'description':
      return canonicalText(typeof native === 'string' ? native : side === 'jira' ? fromAdf(native) : '');
    case 'status': {
      if (typeof native !== 'string') return undefined;
      if (side === 'jira') return native;
      if (current !== undefined && toSide('status', 'github', current, mapping) === native) return current;
      return mapping.statuses.find((s) => s.github === native)?.jira;
    }
    case 'assignee': {
      if (native === null || native === undefined) return null;
      if (side === 'jira') return String(native);
      return mapping.users.find((u) => u.github.toLowerCase() === String(native).toLowerCase())?.jira;
    }
    case 'labels': {
      if (!Array.isArray(native)) return undefined;
      const names = native
        .map(String)
        .map((name) =>
          side === 'jira' ? name : (mapping.labels.rename.find((r) => r.github === name)?.jira ?? name),
        );
      return sorted(names);
    }
  }
}

/** A canonical value as the side stores it, or undefined when it has no counterpart there. */
export function toSide(field: SyncField, side: Side, value: Canonical, mapping: Mapping): unknown {
  switch (field) {
    case 'title':
    case 'description':
      return value ?? '';
    case 'status':
      if (side === 'jira') return value;
      return mapping.statuses.find((s) => s.jira.toLowerCase() === String(value).toLowerCase())?.github;
    case 'assignee':
      if (value === null) return null;
      if (side === 'jira') return value;
      return mapping.users.find((u) => u.jira === value)?.github;
    case 'labels':
      return (Array.isArray(value) ? value : []).map((name) =>
        side === 'jira' ? name : (mapping.labels.rename.find((r) => r.jira === name)?.github ?? name),
      );
  }
}

type Json = Record<string, unknown>;

/** A work item's native field values, as the side's canonical event carries them. */
export function nativeFields(side: Side, workItem: Json): Record<SyncField, unknown> {
  if (side === 'jira') {
    return {
      title: workItem.summary,
      description: fromAdf(workItem.description),
      status: workItem.status,
      assignee: (workItem.assignee as Json | null)?.accountId ?? null,
      labels: workItem.labels,
    };
  }
  const assignees = Array.isArray(workItem.assignees) ? (workItem.assignees as string[]) : [];
  return {
    title: workItem.title,
    description: workItem.body ?? '',
    status: workItem.state,
    assignee: assignees[0] ?? null,
    labels: workItem.labels,
  };
}
