import type { NativeFields } from '../connectors/work-items';
import type { Mapping, Side, SyncField } from './mapping';

/**
 * The canonical form of each synced field is the tracker's, and the code host's values are
 * translated through the mapping:
 * - title, description: text (descriptions as Markdown, in the form a round trip through the
 *   tracker gives, so an echo compares equal);
 * - status: a tracker status name (the code host's open/closed through the mapping's status pairs);
 * - assignee: a tracker user id or null (code host users through the user pairs);
 * - labels: the tracker's label names, sorted (the code host's through the mapping's renames).
 * A translation returns `undefined` when a value has no counterpart (an unpaired user): the change
 * is then not synced rather than synced wrong.
 */
export type Canonical = string | string[] | null;

export interface Translation {
  readonly mapping: Pick<Mapping, 'statuses' | 'users' | 'labels'>;
  /** The tracker's canonical Markdown (its connector's round trip). */
  readonly canonicalText: (markdown: string) => string;
}

const sorted = (values: string[]) => [...new Set(values)].sort();

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** A side's native value as canonical. `current` is the link's value (open/closed is coarser than the tracker's statuses). */
export function fromSide(
  field: SyncField,
  side: Side,
  native: unknown,
  t: Translation,
  current: Canonical | undefined,
): Canonical | undefined {
  const { mapping } = t;
  switch (field) {
    case 'title':
      return typeof native === 'string' ? native.trim() : undefined;
    case 'description':
      return t.canonicalText(typeof native === 'string' ? native.replace(/\r\n/g, '\n') : '');
    case 'status': {
      if (typeof native !== 'string') return undefined;
      if (side === 'tracker') return native;
      if (current !== undefined && toSide('status', 'codeHost', current, t) === native) return current;
      return mapping.statuses.find((s) => s.codeHost === native)?.tracker;
    }
    case 'assignee': {
      if (native === null || native === undefined) return null;
      if (side === 'tracker') return String(native);
      return mapping.users.find((u) => u.codeHost.toLowerCase() === String(native).toLowerCase())?.tracker;
    }
    case 'labels': {
      if (!Array.isArray(native)) return undefined;
      const names = native
        .map(String)
        .map((name) =>
          side === 'tracker'
            ? name
            : (mapping.labels.rename.find((r) => r.codeHost === name)?.tracker ?? name),
        );
      return sorted(names);
    }
  }
}

/** A canonical value as the side stores it, or undefined when it has no counterpart there. */
export function toSide(field: SyncField, side: Side, value: Canonical, t: Translation): unknown {
  const { mapping } = t;
  switch (field) {
    case 'title':
    case 'description':
      return value ?? '';
    case 'status':
      if (side === 'tracker') return value;
      return mapping.statuses.find((s) => s.tracker.toLowerCase() === String(value).toLowerCase())?.codeHost;
    case 'assignee':
      if (value === null) return null;
      if (side === 'tracker') return value;
      return mapping.users.find((u) => u.tracker === value)?.codeHost;
    case 'labels':
      return (Array.isArray(value) ? value : []).map((name) =>
        side === 'tracker' ? name : (mapping.labels.rename.find((r) => r.tracker === name)?.codeHost ?? name),
      );
  }
}

/** Canonical values as a side's native fields; fields without a counterpart there are left out. */
export function toNative(
  values: Partial<Record<SyncField, Canonical>>,
  side: Side,
  t: Translation,
): NativeFields {
  const native: NativeFields = {};
  for (const [field, value] of Object.entries(values) as [SyncField, Canonical][]) {
    const v = toSide(field, side, value, t);
    if (v === undefined) continue;
    if (field === 'labels') native.labels = v as string[];
    else if (field === 'assignee') native.assignee = v === null ? null : String(v);
    else native[field] = String(v);
  }
  return native;
}
