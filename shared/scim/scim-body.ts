import { ScimError } from './scim-error';

/** The largest SCIM request body accepted (Okta and Entra send a few KiB; a group's members at most ~1,000). */
export const MAX_SCIM_BODY_BYTES = 256 * 1024;
/** The most PATCH operations in one request. */
export const MAX_PATCH_OPERATIONS = 100;
/** The most members one request may name (a POST/PUT of a group, or one PATCH operation). */
export const MAX_MEMBERS_PER_REQUEST = 1000;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True when a path or key names an object's prototype machinery (`__proto__`, `constructor`, `prototype`). */
export function namesPrototype(text: string): boolean {
  return /(^|[^A-Za-z0-9_$])(__proto__|constructor|prototype)([^A-Za-z0-9_$]|$)/.test(text);
}

/**
 * Parses a SCIM body: JSON, bounded, and with no key (at any depth) or string path that could reach
 * an object's prototype — the patch library writes into objects by the keys and paths it is given.
 */
export function parseScimBody(raw: string): unknown {
  if (Buffer.byteLength(raw) > MAX_SCIM_BODY_BYTES) {
    throw new ScimError(413, `The body exceeds ${MAX_SCIM_BODY_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new ScimError(400, 'The body is not valid JSON', 'invalidSyntax', { cause });
  }
  refusePrototypeKeys(value, 0);
  return value;
}

/** Throws a 400 for any key named `__proto__`, `constructor` or `prototype`, at any depth. */
export function refusePrototypeKeys(value: unknown, depth = 0): void {
  if (depth > 32) throw new ScimError(400, 'The body is nested too deeply', 'invalidSyntax');
  if (Array.isArray(value)) {
    for (const item of value) refusePrototypeKeys(item, depth + 1);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  // JSON.parse makes `__proto__` an own key; Object.keys sees it.
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key) || namesPrototype(key)) {
      throw new ScimError(400, `The attribute name "${key.slice(0, 40)}" is not allowed`, 'invalidSyntax');
    }
    refusePrototypeKeys((value as Record<string, unknown>)[key], depth + 1);
  }
}
