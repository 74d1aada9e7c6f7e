import { createHash } from 'node:crypto';

/**
 * A resource's version: a weak ETag of its content (everything but `meta`), so it changes with
 * any change, whichever API made it (a team renamed through /v1 changes its group's version too).
 */
export function versionOf(resource: Record<string, unknown>): string {
  const { meta: _meta, ...content } = resource;
  const digest = createHash('sha256').update(canonicalJson(content)).digest('base64url').slice(0, 16);
  return `W/"${digest}"`;
}

/** JSON with object keys sorted, so equal content always hashes equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Whether an `If-Match` header admits the current version: absent and `*` always do; otherwise one
 * of its (comma-separated) tags must equal it, weak or strong alike (IdPs echo what they were sent).
 */
export function ifMatchAdmits(header: string | undefined, current: string): boolean {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => strip(tag) === strip(current));
}
