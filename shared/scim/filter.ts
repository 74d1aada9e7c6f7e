import type { Filter } from 'scim2-parse-filter';
import { filter as compile, parse } from 'scim2-parse-filter';
import { namesPrototype } from './scim-body';
import { ScimError } from './scim-error';

/** Attributes compared exactly (RFC 7643 `caseExact: true`); every other string compares case-insensitively. */
const CASE_EXACT = new Set(['id', 'externalid']);

/** An equality a store can answer from an index instead of reading every resource. */
export interface IndexedLookup {
  readonly attribute: 'id' | 'userName' | 'externalId' | 'displayName';
  readonly value: string;
}

export interface ParsedFilter {
  readonly test: (resource: Record<string, unknown>) => boolean;
  /** Set when the filter is (or is and-ed with) an equality on an indexed attribute. */
  readonly lookup: IndexedLookup | null;
}

const lowerValues = (f: Filter): Filter => {
  switch (f.op) {
    case 'and':
    case 'or':
      return { ...f, filters: f.filters.map(lowerValues) };
    case 'not':
      return { ...f, filter: lowerValues(f.filter) };
    case '[]':
      return { ...f, valFilter: lowerValues(f.valFilter) };
    case 'pr':
      return f;
    default:
      return !CASE_EXACT.has(leaf(f.attrPath)) && typeof f.compValue === 'string'
        ? { ...f, compValue: f.compValue.toLowerCase() }
        : f;
  }
};

const leaf = (path: string) => path.slice(path.lastIndexOf(':') + 1).toLowerCase();

/** The resource with every case-insensitive string lower-cased, for comparing against lowered values. */
function lowered(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return CASE_EXACT.has(key.toLowerCase()) ? value : value.toLowerCase();
  if (Array.isArray(value)) return value.map((v) => lowered(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lowered(v, k)]));
  }
  return value;
}

function indexedLookup(f: Filter, indexed: readonly IndexedLookup['attribute'][]): IndexedLookup | null {
  if (f.op === 'eq' && typeof f.compValue === 'string') {
    const attribute = indexed.find((a) => a.toLowerCase() === f.attrPath.toLowerCase());
    return attribute ? { attribute, value: f.compValue } : null;
  }
  if (f.op === 'and') {
    for (const inner of f.filters) {
      const found = indexedLookup(inner, indexed);
      if (found) return found;
    }
  }
  return null;
}

/** The most characters a filter may have. */
const MAX_FILTER_LENGTH = 1000;

/**
 * Parses a SCIM filter (`userName eq "a"`, `emails[type eq "work"].value co "@x"`, `and`, `or`,
 * `pr`, `sw`…) with `scim2-parse-filter`; a filter it cannot parse is a 400 `invalidFilter`.
 */
export function parseFilter(text: string, indexed: readonly IndexedLookup['attribute'][]): ParsedFilter {
  if (text.length > MAX_FILTER_LENGTH || namesPrototype(text)) {
    throw new ScimError(400, 'The filter is not supported', 'invalidFilter');
  }
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (cause) {
    throw new ScimError(400, `The filter cannot be parsed: ${(cause as Error).message}`, 'invalidFilter', {
      cause,
    });
  }
  const test = compile(lowerValues(ast));
  return { test: (resource) => test(lowered(resource)), lookup: indexedLookup(ast, indexed) };
}
