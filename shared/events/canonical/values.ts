/**
 * Helpers every normaliser needs to fill canonical data the same way: times in ISO 8601 UTC and
 * the tracker keys a text names.
 */

/**
 * A provider's time as ISO 8601 in UTC, or null. Takes offsets (`-07:00`), Jira's `+0000`,
 * epoch milliseconds and GitLab's `2026-01-02 10:00:00 UTC`.
 */
export function isoTime(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value).toISOString() : null;
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The shape of a tracker key (`PROJ-12`): a project key in capitals, a dash, a number. */
const TRACKER_KEY = /\b([A-Z][A-Z0-9_]+-\d+)\b/g;

/** The tracker keys the texts name (a branch, a title, a description), each once, in order. */
export const trackerKeysIn = (...texts: (string | null | undefined)[]): string[] => [
  ...new Set(texts.flatMap((t) => (t ? [...t.matchAll(TRACKER_KEY)].map((m) => m[1] as string) : []))),
];
