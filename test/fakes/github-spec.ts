import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/**
 * GitHub's published OpenAPI description (`@octokit/openapi`), as the fake checks itself against it:
 * what a client sends to an operation, and what the fake answers, must both fit the description.
 */
type Operation = {
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
let spec: { paths: Record<string, Record<string, Operation>>; components: unknown } | undefined;
let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/** OpenAPI 3.0's `nullable` as JSON Schema: a null is allowed besides what the schema says. */
function withNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNulls);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, withNulls(v)]));
  if (nullable !== true) return out;
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

function load() {
  if (!spec || !ajv) {
    spec = createRequire(import.meta.url)('@octokit/openapi/generated/api.github.com.json') as NonNullable<
      typeof spec
    >;
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    // GitHub's own format for `owner/name`.
    ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
    // Ajv understands OpenAPI 3.0's `nullable`; the components are what the operations refer to.
    ajv.addSchema({ $id: 'github', components: withNulls(spec.components) });
  }
  return { spec, ajv };
}

function validator(key: string, schema: unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    const rewritten = JSON.parse(
      JSON.stringify(withNulls(schema)).replaceAll('"#/components/', '"github#/components/'),
    );
    validate = load().ajv.compile(rewritten);
    compiled.set(key, validate);
  }
  return validate;
}

/** Problems with `value` as the request body of the operation, or null when it fits. */
export function requestProblems(path: string, method: string, value: unknown): string | null {
  const schema = load().spec.paths[path]?.[method]?.requestBody?.content['application/json']?.schema;
  if (!schema) throw new Error(`No request body for ${method.toUpperCase()} ${path} in GitHub's description`);
  const validate = validator(`req ${method} ${path}`, schema);
  return validate(value) ? null : load().ajv.errorsText(validate.errors);
}

/** Problems with `value` as the operation's `status` response, or null when it fits. */
export function responseProblems(
  path: string,
  method: string,
  status: number,
  value: unknown,
): string | null {
  const schema =
    load().spec.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema)
    throw new Error(`No ${status} response for ${method.toUpperCase()} ${path} in GitHub's description`);
  const validate = validator(`res ${method} ${path} ${status}`, schema);
  return validate(value) ? null : load().ajv.errorsText(validate.errors);
}
