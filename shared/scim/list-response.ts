import type { ParsedFilter } from './filter';
import type { ListQuery } from './query';
import { project } from './query';
import { LIST_RESPONSE_SCHEMA } from './schema';

/**
 * A ListResponse (RFC 7644 §3.4.2): the resources the filter admits, counted (`totalResults`, an
 * integer), then the page from the 1-based `startIndex`, each with only the attributes asked for.
 */
export function listResponse(
  resources: readonly Record<string, unknown>[],
  filter: ParsedFilter | null,
  query: ListQuery,
): Record<string, unknown> {
  const matching = filter ? resources.filter((r) => filter.test(r)) : resources;
  const page = matching.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: matching.length,
    startIndex: query.startIndex,
    itemsPerPage: page.length,
    Resources: page.map((r) => project(r, query.attributes, query.excludedAttributes)),
  };
}
