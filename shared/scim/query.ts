import { namesPrototype } from './scim-body';
import { ScimError } from './scim-error';

/** A page's size when none is asked for, and the most one may hold. */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;

export interface ListQuery {
  readonly filter?: string;
  /** 1-based, as SCIM counts. */
  readonly startIndex: number;
  readonly count: number;
  readonly attributes: readonly string[] | null;
  readonly excludedAttributes: readonly string[];
}

const integer = (raw: string | undefined, name: string, fallback: number): number => {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d{1,9}$/.test(raw)) throw new ScimError(400, `${name} must be an integer`, 'invalidValue');
  return Number(raw);
};

const names = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (s.length > 200 || namesPrototype(s)) throw new ScimError(400, 'Unknown attribute', 'invalidPath');
      return s;
    });

/** The list parameters of RFC 7644 §3.4.2: startIndex below 1 counts as 1, count is capped at 200. */
export function parseListQuery(query: Readonly<Record<string, string | undefined>>): ListQuery {
  const startIndex = Math.max(1, integer(query.startIndex, 'startIndex', 1));
  const count = Math.min(MAX_COUNT, Math.max(0, integer(query.count, 'count', DEFAULT_COUNT)));
  const attributes = names(query.attributes);
  return {
    ...(query.filter !== undefined ? { filter: query.filter } : {}),
    startIndex,
    count,
    attributes: attributes.length > 0 ? attributes : null,
    excludedAttributes: names(query.excludedAttributes),
  };
}

const ALWAYS = new Set(['id', 'schemas', 'meta']);

/**
 * A resource with only the asked attributes (`attributes`, plus id, schemas and meta), or without
 * the excluded ones; `name.givenName` keeps or drops one sub-attribute.
 */
export function project(
  resource: Record<string, unknown>,
  attributes: readonly string[] | null,
  excluded: readonly string[],
): Record<string, unknown> {
  const matches = (key: string, list: readonly string[]) =>
    list.filter(
      (a) => a.toLowerCase() === key.toLowerCase() || a.toLowerCase().startsWith(`${key.toLowerCase()}.`),
    );
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (ALWAYS.has(key)) {
      out[key] = value;
      continue;
    }
    if (attributes) {
      const asked = matches(key, attributes);
      if (asked.length === 0) continue;
      const subs = asked.filter((a) => a.includes('.')).map((a) => a.slice(a.indexOf('.') + 1).toLowerCase());
      out[key] = subs.length === asked.length ? pick(value, subs, true) : value;
      continue;
    }
    const dropped = matches(key, excluded);
    if (dropped.some((a) => !a.includes('.'))) continue;
    const subs = dropped.map((a) => a.slice(a.indexOf('.') + 1).toLowerCase());
    out[key] = subs.length > 0 ? pick(value, subs, false) : value;
  }
  return out;
}

function pick(value: unknown, subs: readonly string[], keep: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, subs, keep));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => subs.includes(k.toLowerCase()) === keep));
}
