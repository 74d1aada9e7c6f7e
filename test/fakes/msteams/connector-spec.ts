import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The Bot Connector API v3.1's own Swagger description (microsoft/botframework-sdk
 * specs/botframework-protocol/botframework-channel.json), trimmed to the operations the hub's
 * Teams client and its fake use: test/contract/fixtures/bot-connector-v3.json.
 */
interface Operation {
  readonly operationId: string;
  readonly parameters: readonly {
    readonly in: string;
    readonly name: string;
    readonly schema?: { $ref: string };
  }[];
  readonly responses: Readonly<Record<string, { readonly schema?: { readonly $ref: string } }>>;
}
interface Description {
  readonly source: { readonly repository: string; readonly path: string; readonly commit: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly definitions: Readonly<Record<string, unknown>>;
}

export const CONNECTOR_SWAGGER = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '..', '..', 'contract', 'fixtures', 'bot-connector-v3.json'),
    'utf8',
  ),
) as Description;

// Swagger 2.0 schemas are JSON Schema draft 4 with `x-` extensions: not strict.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv, ['date-time']);
ajv.addFormat('int32', {
  type: 'number',
  validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
});
ajv.addSchema({ definitions: CONNECTOR_SWAGGER.definitions }, 'connector');

const templates = Object.entries(CONNECTOR_SWAGGER.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([method]) => method !== 'parameters')
    .map(([method, op]) => ({
      method: method.toUpperCase(),
      pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      op,
    })),
);

/** The documented operation a request to the connector is, by method and path (under the service URL). */
export function connectorOperation(method: string, path: string): Operation | null {
  return templates.find((t) => t.method === method && t.pattern.test(path))?.op ?? null;
}

const problemsOf = (ref: string, value: unknown) => {
  const validate = ajv.getSchema(`connector${ref}`);
  if (!validate) return [`${ref} is not in the fixture`];
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
};

/** Problems with a request body as the operation's body parameter documents it. */
export function requestProblems(op: Operation, body: unknown): string[] {
  const param = op.parameters.find((p) => p.in === 'body');
  return param?.schema ? problemsOf(param.schema.$ref, body) : [];
}

/** Problems with an answer as the operation documents that status (or its default). */
export function answerProblems(op: Operation, status: number, answer: unknown): string[] {
  const documented = op.responses[String(status)] ?? op.responses.default;
  if (!documented) return [`HTTP ${status} is not documented for ${op.operationId}`];
  return documented.schema ? problemsOf(documented.schema.$ref, answer) : [];
}
