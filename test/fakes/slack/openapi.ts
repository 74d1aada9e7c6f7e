import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Slack's published OpenAPI 2.0 description of the Web API (`slackapi/slack-api-specs`), the
 * operations the hub and its fake use extracted into test/contract/fixtures/slack-web-openapi-v2.json
 * (source and commit noted there), with the amendments listed there for what Slack documents since.
 * A call's parameters are checked against the documented ones; an answer against the documented
 * success or error schema.
 */
interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly type?: string;
}
interface Operation {
  readonly method: string;
  readonly operationId: string;
  readonly parameters: readonly Parameter[];
  readonly responses: { readonly '200': unknown; readonly default: unknown };
}
interface Description {
  readonly source: { readonly repository: string; readonly path: string; readonly commit: string };
  readonly operations: Readonly<Record<string, Operation>>;
  readonly definitions: Readonly<Record<string, unknown>>;
  readonly amendments: {
    readonly parameters: Readonly<Record<string, readonly Parameter[]>>;
    readonly optionalUnless: Readonly<Record<string, Readonly<Record<string, string>>>>;
    readonly properties: Readonly<Record<string, Readonly<Record<string, { type: string }>>>>;
    readonly errors: Readonly<Record<string, string>>;
  };
  readonly notCovered: Readonly<Record<string, string>>;
}

export const SLACK_OPENAPI = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '..', '..', 'contract', 'fixtures', 'slack-web-openapi-v2.json'),
    'utf8',
  ),
) as Description;

/** The description's `items: [a, b]` under no `type` means one of them (a user, a conversation). */
function amend(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(amend);
  if (!node || typeof node !== 'object') return node;
  const record = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, amend(v)])) as Record<
    string,
    unknown
  >;
  if (Array.isArray(record.items) && record.type === undefined) {
    const { items, ...rest } = record;
    return { ...rest, anyOf: items };
  }
  // Error codes Slack documents since (token rotation…), allowed wherever errors are enumerated.
  const error = (record.properties as Record<string, { enum?: unknown[] }> | undefined)?.error;
  if (error?.enum) error.enum = [...error.enum, ...Object.keys(SLACK_OPENAPI.amendments.errors)];
  return record;
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();
function validator(key: string, schema: unknown): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    const definitions = amend(SLACK_OPENAPI.definitions) as Record<string, Record<string, unknown>>;
    for (const [name, props] of Object.entries(SLACK_OPENAPI.amendments.properties)) {
      const target = definitions[name];
      for (const variant of (target?.anyOf as Record<string, unknown>[] | undefined) ??
        (target ? [target] : [])) {
        variant.properties = {
          ...(variant.properties as object),
          ...Object.fromEntries(Object.entries(props).map(([k, v]) => [k, { type: v.type }])),
        };
      }
    }
    ajv.addSchema({ $id: 'slack', definitions });
  }
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(amend(schema)).replaceAll('"#/definitions/', '"slack#/definitions/')),
    );
    compiled.set(key, validate);
  }
  return validate;
}

const operation = (method: string): Operation => {
  const found = SLACK_OPENAPI.operations[method];
  if (!found) throw new Error(`No ${method} in Slack's description (extract it into the fixture first)`);
  return found;
};

/** Problems with a call's parameters (the token aside, sent as a bearer header), or null when they fit. */
export function requestProblems(
  method: string,
  params: Readonly<Record<string, string>>,
  bearer: boolean,
): string | null {
  const op = operation(method);
  const documented = [...op.parameters, ...(SLACK_OPENAPI.amendments.parameters[method] ?? [])];
  const optional = SLACK_OPENAPI.amendments.optionalUnless[method] ?? {};
  const problems: string[] = [];
  for (const name of Object.keys(params))
    if (!documented.some((p) => p.name === name && p.in !== 'header'))
      problems.push(`${name} is not a documented parameter`);
  for (const p of op.parameters) {
    if (!p.required || p.name in optional) continue;
    if (p.name === 'token' ? !bearer && !('token' in params) : !(p.name in params))
      problems.push(`${p.name} is required`);
  }
  for (const p of documented) {
    const value = params[p.name];
    if (value === undefined) continue;
    if (p.type === 'boolean' && !['true', 'false', '1', '0'].includes(value))
      problems.push(`${p.name} is not a boolean`);
    if (p.type === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${p.name} is not an integer`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/** Problems with an answer (`ok: true` against the success schema, else the error schema), or null when it fits. */
export function responseProblems(method: string, body: unknown): string | null {
  const op = operation(method);
  const ok = (body as { ok?: unknown } | null)?.ok === true;
  const validate = validator(`${method} ${ok}`, ok ? op.responses['200'] : op.responses.default);
  return validate(body) ? null : (ajv?.errorsText(validate.errors) ?? 'invalid');
}
