import type { ScimPatchOperation, ScimResource } from 'scim-patch';
import { NoTarget, ScimError as PatchLibraryError, scimPatch } from 'scim-patch';
import * as z from 'zod';
import { BOOLEAN_ATTRIBUTES, ENTERPRISE_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA } from './schema';
import { MAX_PATCH_OPERATIONS, namesPrototype } from './scim-body';
import { ScimError } from './scim-error';

type Attributes = Readonly<Record<string, readonly string[] | null>>;

const PatchBody = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(PATCH_OP_SCHEMA), 'must name the PatchOp schema'),
  Operations: z
    .array(
      z.object({
        op: z.string(),
        path: z.string().max(512).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(MAX_PATCH_OPERATIONS),
});

type Op = { op: 'add' | 'replace' | 'remove'; path?: string; value?: unknown };

const find = (attributes: Attributes, name: string): string | undefined =>
  Object.keys(attributes).find((k) => k.toLowerCase() === name.toLowerCase());

/**
 * Checks a PATCH path against the attributes the resource has: `name.givenName`,
 * `emails[type eq "work"].value`, `members[value eq "…"]`, and the enterprise extension's
 * `urn:…:enterprise:2.0:User:department`. Returns the path with names as the schema spells them
 * (the patch library matches case-sensitively); an unknown attribute is a 400 `invalidPath`.
 */
export function canonicalPath(path: string, attributes: Attributes, enterprise = false): string {
  if (namesPrototype(path)) throw new ScimError(400, 'The path names no attribute', 'invalidPath');
  let rest = path;
  let prefix = '';
  let table = attributes;
  if (enterprise && rest.toLowerCase().startsWith(`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:`)) {
    prefix = `${ENTERPRISE_USER_SCHEMA}:`;
    rest = rest.slice(prefix.length);
    table = ENTERPRISE_ATTRIBUTES;
  }
  const match = /^([A-Za-z$][\w$-]*)(\[[^\]]*\])?(?:\.([A-Za-z$][\w$-]*))?$/.exec(rest);
  if (!match) throw new ScimError(400, `The path "${path.slice(0, 80)}" is not supported`, 'invalidPath');
  const [, root = '', filter = '', sub] = match;
  const known = find(table, root);
  if (!known) throw new ScimError(400, `No attribute "${root}" to patch`, 'invalidPath');
  const subs = table[known];
  let subName = '';
  if (sub !== undefined) {
    const knownSub = subs ? subs.find((s) => s.toLowerCase() === sub.toLowerCase()) : undefined;
    if (!knownSub) throw new ScimError(400, `No attribute "${root}.${sub}" to patch`, 'invalidPath');
    subName = `.${knownSub}`;
  }
  if (filter && !subs) throw new ScimError(400, `"${root}" has no values to filter`, 'invalidPath');
  return `${prefix}${known}${filter}${subName}`;
}

/** "True"/"False" (Entra) as booleans where the attribute is a boolean. */
function coerceBooleans(key: string, value: unknown): unknown {
  if (BOOLEAN_ATTRIBUTES.has(key) && typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  if (Array.isArray(value)) return value.map((v) => coerceBooleans('', v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerceBooleans(k, v)]));
  }
  return value;
}

/**
 * A path-less add or replace, as one operation per attribute with its path: its value's keys may
 * be dotted (Entra's `name.givenName`) or the enterprise extension's URN; each must be known.
 */
function splitPathless(op: Op, attributes: Attributes, enterprise: boolean): Op[] {
  const value = op.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScimError(400, 'An operation without a path needs an object value', 'invalidValue');
  }
  const ops: Op[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (enterprise && key.toLowerCase() === ENTERPRISE_USER_SCHEMA.toLowerCase()) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw new ScimError(400, 'The enterprise extension is an object', 'invalidValue');
      }
      for (const [k, inner] of Object.entries(v)) {
        ops.push({
          op: op.op,
          path: canonicalPath(`${ENTERPRISE_USER_SCHEMA}:${k}`, attributes, true),
          value: inner,
        });
      }
      continue;
    }
    const path = canonicalPath(key, attributes, enterprise);
    const bare = path.includes(':') ? path.slice(path.lastIndexOf(':') + 1) : path;
    // A complex attribute's object value is merged sub-attribute by sub-attribute, as RFC 7644 §3.5.2.1 says.
    if (!bare.includes('.') && attributes[bare] && !Array.isArray(v) && v !== null && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        ops.push({ op: op.op, path: canonicalPath(`${path}.${k}`, attributes, enterprise), value: inner });
      }
      continue;
    }
    ops.push({ op: op.op, path, value: v });
  }
  return ops;
}

/** The operations of a PATCH body, validated and normalised: lower-case ops, known paths, booleans. */
export function normalisePatch(body: unknown, attributes: Attributes, enterprise: boolean): Op[] {
  const parsed = PatchBody.safeParse(body);
  if (!parsed.success) {
    throw new ScimError(
      400,
      `The PATCH body is not valid: ${parsed.error.issues[0]?.message ?? ''}`,
      'invalidSyntax',
    );
  }
  const ops: Op[] = [];
  for (const raw of parsed.data.Operations) {
    const name = raw.op.toLowerCase();
    if (name !== 'add' && name !== 'replace' && name !== 'remove') {
      throw new ScimError(400, `Unknown PATCH op "${raw.op.slice(0, 20)}"`, 'invalidSyntax');
    }
    if (raw.path === undefined || raw.path === '') {
      if (name === 'remove') throw new ScimError(400, 'A remove needs a path', 'noTarget');
      ops.push(...splitPathless({ op: name, value: raw.value }, attributes, enterprise));
      continue;
    }
    const path = canonicalPath(raw.path, attributes, enterprise);
    const leaf = path.slice(Math.max(path.lastIndexOf('.'), path.lastIndexOf(':')) + 1);
    ops.push({ op: name, path, value: coerceBooleans(leaf, raw.value) });
  }
  return ops.map((o) => ({ ...o, value: coerceBooleans(o.path?.split(/[.:]/).pop() ?? '', o.value) }));
}

/**
 * Applies normalised operations to a resource document (never mutating it) with `scim-patch`,
 * mapping its refusals to SCIM errors: a filter that matches nothing is a 400 `noTarget`.
 */
export function applyPatch<T extends Record<string, unknown>>(document: T, ops: readonly Op[]): T {
  const resource = {
    ...structuredClone(document),
    meta: { created: new Date(0), lastModified: new Date(0) },
  };
  try {
    // An add may create what a value filter names (Entra adds `emails[type eq "work"].value`);
    // a replace or remove of nothing is RFC 7644's noTarget.
    let patched = resource as unknown as ScimResource;
    for (const op of ops) {
      patched = scimPatch(patched, [op as ScimPatchOperation], {
        mutateDocument: false,
        treatMissingAsAdd: op.op === 'add',
      });
    }
    const { meta: _meta, ...rest } = patched as unknown as Record<string, unknown>;
    return rest as T;
  } catch (cause) {
    if (cause instanceof NoTarget) throw new ScimError(400, cause.message, 'noTarget', { cause });
    if (cause instanceof PatchLibraryError) {
      const type =
        cause.scimCode === 'invalidPath' || cause.scimCode === 'noTarget' ? cause.scimCode : 'invalidValue';
      throw new ScimError(400, cause.message, type, { cause });
    }
    throw cause;
  }
}
