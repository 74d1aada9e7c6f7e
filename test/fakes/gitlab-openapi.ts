import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * GitLab's own OpenAPI 2.0 description of the routes the hub and its fake use, extracted into
 * test/contract/fixtures/gitlab-openapi-v2.json (source, commit and place of each entry noted
 * there), and the checks the contract test runs with it: requests against the documented
 * parameters, answers against the documented entities.
 */
interface Property {
  readonly type?: string;
  readonly format?: string;
  readonly example?: boolean;
  readonly enum?: readonly unknown[];
  readonly $ref?: string;
  readonly items?: Property;
  readonly properties?: Readonly<Record<string, Property>>;
}
interface Definition {
  readonly from: string;
  readonly properties: Readonly<Record<string, Property>>;
  readonly required?: readonly string[];
}
interface Parameter extends Property {
  readonly in: 'query' | 'path' | 'body';
  readonly name: string;
  readonly required: boolean;
  /** A body parameter's definition. */
  readonly schema?: string;
}
interface Operation {
  readonly from: string;
  readonly operationId: string;
  readonly parameters: readonly Parameter[];
  readonly response: { readonly status: string; readonly schema: string };
}
interface Description {
  readonly source: { readonly repository: string; readonly path: string; readonly commit: string };
  readonly notCovered: Readonly<Record<string, string>>;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly definitions: Readonly<Record<string, Definition>>;
  readonly notExtracted: Readonly<Record<string, string>>;
}

export const GITLAB_OPENAPI = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'contract', 'fixtures', 'gitlab-openapi-v2.json'), 'utf8'),
) as Description;

/**
 * Properties GitLab's entities expose only on request or on some instances, so an answer may
 * rightly lack them; every other documented property must be there. Keyed by definition.
 */
export const CONDITIONAL: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  API_Entities_UserBasic: {
    avatar_path: 'exposed only when paths are asked for instead of URLs',
    custom_attributes: 'with `with_custom_attributes=true` only (a documented query parameter)',
  },
  API_Entities_UserPublic: {
    avatar_path: 'exposed only when paths are asked for instead of URLs',
    custom_attributes: 'with `with_custom_attributes=true` only',
    shared_runners_minutes_limit: 'EE, shown to administrators only',
    extra_shared_runners_minutes_limit: 'EE, shown to administrators only',
    scim_identities: 'EE, for users provisioned by group SCIM only',
  },
  API_Entities_MergeRequest: {
    title_html: 'with `render_html=true` only (a documented query parameter)',
    description_html: 'with `render_html=true` only',
    rebase_in_progress: 'with `include_rebase_in_progress=true` only',
    diverged_commits_count: 'with `include_diverged_commits_count=true` only',
    allow_collaboration: 'for merge requests from a fork only',
    allow_maintainer_to_push: 'for merge requests from a fork only',
  },
  API_Entities_IssueBasic: {
    weight: 'EE, where issue weights are licensed',
    blocking_issues_count: 'EE, where blocked issues are licensed',
  },
};

/**
 * grape-swagger's `type: string` for an exposure whose type GitLab left undocumented (it has
 * no example, format or enum: `bot`, `draft`, `user_notes_count`… are booleans and numbers):
 * only its presence can be checked.
 */
const untyped = (p: Property) => p.type === 'string' && !p.example && !p.format && !p.enum;

const definition = (name: string) =>
  Object.hasOwn(GITLAB_OPENAPI.definitions, name) ? GITLAB_OPENAPI.definitions[name] : undefined;

function checkValue(p: Property, value: unknown, at: string, request = false): string[] {
  // Swagger 2.0 cannot say a field may be null; GitLab answers null for what is unset (`closed_at`).
  if (value === null) return [];
  if (p.$ref) {
    const target = definition(p.$ref);
    if (!target) {
      if (!Object.hasOwn(GITLAB_OPENAPI.notExtracted, p.$ref))
        return [`${at}: ${p.$ref} is not in the fixture`];
      return typeof value === 'object' ? [] : [`${at}: not an object`];
    }
    // grape-swagger writes a list exposure (`assignees`, `approved_by`) as a plain $ref.
    if (Array.isArray(value))
      return value.flatMap((v, i) => checkObject(p.$ref as string, target, v, `${at}[${i}]`));
    return checkObject(p.$ref, target, value, at);
  }
  switch (p.type) {
    case 'string':
      // A request parameter's type is always declared (grape's `requires :ref, type: String`).
      if (!request && untyped(p)) return [];
      if (typeof value !== 'string') return [`${at}: not a string`];
      if ((p.format === 'date-time' || p.format === 'date') && Number.isNaN(Date.parse(value)))
        return [`${at}: not a ${p.format}`];
      return p.enum && !p.enum.includes(value) ? [`${at}: not one of ${p.enum.join(', ')}`] : [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return p.items
        ? value.flatMap((v, i) => checkValue(p.items as Property, v, `${at}[${i}]`, request))
        : [];
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      return p.properties ? checkMembers(p.properties, {}, value as Record<string, unknown>, at) : [];
    default:
      return [];
  }
}

function checkMembers(
  properties: Readonly<Record<string, Property>>,
  conditional: Readonly<Record<string, string>>,
  value: Record<string, unknown>,
  at: string,
): string[] {
  return Object.entries(properties).flatMap(([key, p]) => {
    if (!Object.hasOwn(value, key)) return Object.hasOwn(conditional, key) ? [] : [`${at}.${key}: missing`];
    return checkValue(p, value[key], `${at}.${key}`);
  });
}

function checkObject(name: string, target: Definition, value: unknown, at: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
  return checkMembers(target.properties, CONDITIONAL[name] ?? {}, value as Record<string, unknown>, at);
}

/**
 * Problems with `answer` as the entity GitLab documents for `operation`'s success response
 * (`GET /api/v4/user`…): a documented field missing (unless GitLab exposes it only sometimes)
 * or of another type. Empty when it fits. Fields GitLab does not document are not judged here.
 */
export function answerProblems(operation: string, answer: unknown): string[] {
  const op = GITLAB_OPENAPI.operations[operation];
  if (!op) throw new Error(`the fixture has no ${operation}`);
  return checkValue({ $ref: op.response.schema }, answer, op.response.schema);
}

/** Problems with `value` as one of the description's entities (`API_Entities_IssueBasic`…), by name. */
export function entityProblems(name: string, value: unknown): string[] {
  if (!definition(name)) throw new Error(`the fixture has no ${name}`);
  return checkValue({ $ref: name }, value, name);
}

/** Problems with a string sent in a query, as the documented parameter types it. */
function checkQueryValue(p: Parameter, value: string, at: string): string[] {
  switch (p.type) {
    case 'integer':
      return /^-?\d+$/.test(value) ? [] : [`${at}: not an integer`];
    case 'boolean':
      return value === 'true' || value === 'false' ? [] : [`${at}: not a boolean`];
    case 'string':
      if (p.format === 'date-time' && Number.isNaN(Date.parse(value))) return [`${at}: not a date-time`];
      return p.enum && !p.enum.includes(value) ? [`${at}: not one of ${p.enum.join(', ')}`] : [];
    default:
      return [];
  }
}

const templates = Object.keys(GITLAB_OPENAPI.operations).map((key) => {
  const [method, path] = key.split(' ') as [string, string];
  const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return { key, method, pattern };
});

/** The operation of the description a request is for, by method and path as sent (ids still encoded). */
export function operationOf(method: string, rawPath: string): string | null {
  return templates.find((t) => t.method === method && t.pattern.test(rawPath))?.key ?? null;
}

/**
 * Problems with a request as GitLab documents `operation`: a query or body parameter it does not
 * document, a required one missing, or one of another type. Path parameters are only matched by
 * place: the description types some by accident (`{branch}` an integer, the project `id` an
 * integer on the approvals routes), while GitLab takes a project's URL-encoded path on every one.
 */
export function requestProblems(
  operation: string,
  request: { query: string; body?: Record<string, unknown> | undefined },
): string[] {
  const op = GITLAB_OPENAPI.operations[operation];
  if (!op) throw new Error(`the fixture has no ${operation}`);
  const problems: string[] = [];
  const query = new URLSearchParams(request.query);
  for (const [name, value] of query) {
    const p = op.parameters.find((q) => q.in === 'query' && q.name === name);
    if (!p) problems.push(`${operation}: undocumented query parameter ${name}`);
    else problems.push(...checkQueryValue(p, value, `${operation}?${name}`));
  }
  for (const p of op.parameters)
    if (p.in === 'query' && p.required && !query.has(p.name))
      problems.push(`${operation}: required query parameter ${p.name} missing`);
  const body = request.body ?? {};
  const bodyParameter = op.parameters.find((p) => p.in === 'body');
  const schema = bodyParameter?.schema ? definition(bodyParameter.schema) : undefined;
  for (const [name, value] of Object.entries(body)) {
    const p = schema?.properties[name];
    if (!p || !Object.hasOwn(schema?.properties ?? {}, name))
      problems.push(`${operation}: undocumented body parameter ${name}`);
    else problems.push(...checkValue(p, value, `${operation} body.${name}`, true));
  }
  for (const name of schema?.required ?? [])
    if (!Object.hasOwn(body, name)) problems.push(`${operation}: required body parameter ${name} missing`);
  return problems;
}
