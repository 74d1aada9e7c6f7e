import type { Canonical } from './fields';
import { sameValue } from './fields';
import type { Link } from './link';
import { HISTORY_LIMIT } from './link';
import type { Mapping, Side, SyncField } from './mapping';
import { flows, otherSide } from './mapping';

const PREFER = { tracker: 'prefer_tracker', codeHost: 'prefer_code_host' } as const;

export interface FieldChange {
  readonly field: SyncField;
  readonly value: Canonical;
  /** When the change happened at its source (the provider's timestamp). */
  readonly at: string;
}

/**
 * Applies one side's changes to a link, field by field:
 * - a change older than the latest one that side already reported for the field (an out-of-order
 *   or replayed delivery) changes nothing, not even the history: the side has moved on since;
 * - a value the link already has is no change (this is how the hub's own writes, coming back as
 *   webhooks, stop there);
 * - a change older than the other side's version is a conflict: `latest` keeps the newer value,
 *   `prefer_tracker` / `prefer_code_host` keeps that side's;
 * - otherwise the change wins.
 * A winning change is queued for the other side; a losing one queues the kept value for its own
 * side, so both sides end on the same value. Losers are kept in the link's history.
 */
export function applyChanges(
  link: Link,
  side: Side,
  changes: readonly FieldChange[],
  mapping: Mapping,
  now: Date,
): { link: Link; changed: boolean } {
  const other = otherSide(side);
  const next: Link = structuredClone(link);
  let changed = false;
  const queue = (target: Side, field: SyncField) => {
    if (!next.pending[target].includes(field)) next.pending[target].push(field);
  };
  for (const change of changes) {
    if (!flows(mapping.fields[change.field], side)) continue;
    const current = next.fields[change.field];
    const incoming = { value: change.value, at: new Date(change.at).toISOString(), side };
    // Links written before `observed` know the side's latest time only when it set the value.
    const seen = next.observed?.[side]?.[change.field] ?? (current?.side === side ? current.at : undefined);
    // Older than what this side has reported since: it has moved on, so the change says nothing.
    if (seen !== undefined && Date.parse(incoming.at) < Date.parse(seen)) continue;
    if (seen === undefined || Date.parse(incoming.at) > Date.parse(seen)) {
      next.observed = {
        tracker: { ...next.observed?.tracker },
        codeHost: { ...next.observed?.codeHost },
      };
      next.observed[side][change.field] = incoming.at;
      changed = true;
    }
    if (current && sameValue(current.value, change.value)) continue;
    // Providers stamp changes to the second or to the millisecond: across sides, times
    // compare to the second, and a tie goes to the change that arrived last.
    const precision = current && current.side !== side ? 1000 : 1;
    const newer =
      !current ||
      Math.floor(Date.parse(incoming.at) / precision) >= Math.floor(Date.parse(current.at) / precision);
    const preferred = mapping.conflicts === PREFER[side] && current?.side === other;
    changed = true;
    if (newer || preferred) {
      if (current && !newer) {
        next.history.unshift({
          field: change.field,
          kept: incoming,
          lost: current,
          rule: mapping.conflicts,
          decidedAt: now.toISOString(),
        });
      }
      next.fields[change.field] = incoming;
      next.pending[side] = next.pending[side].filter((f) => f !== change.field);
      if (flows(mapping.fields[change.field], side)) queue(other, change.field);
    } else if (current) {
      next.history.unshift({
        field: change.field,
        kept: current,
        lost: incoming,
        rule: current.side === side ? 'older' : mapping.conflicts,
        decidedAt: now.toISOString(),
      });
      // A stale change from the side that set the current value: that side already has it.
      if (current.side !== side) queue(side, change.field);
    }
  }
  next.history = next.history.slice(0, HISTORY_LIMIT);
  if (changed) next.revision = link.revision + 1;
  return { link: next, changed };
}
