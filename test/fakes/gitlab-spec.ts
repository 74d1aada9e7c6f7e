import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseSync } from '@swc/core';

/**
 * The response shapes `@gitbeaker/rest` declares (its `@gitbeaker/core` schemas, written from
 * GitLab's API documentation), read from its type declarations with swc's parser, so the fake's
 * answers can be checked at run time: every field a schema requires is there, with its type.
 */
type Node = { type: string; [key: string]: unknown };
type Property = { key: string; optional: boolean; type: Node | null };
let interfaces: Map<string, { parents: string[]; properties: Property[] }> | undefined;

const value = (n: unknown) => String((n as { value?: unknown })?.value ?? '');

function load() {
  if (!interfaces) {
    const file = createRequire(import.meta.url)
      .resolve('@gitbeaker/core')
      .replace(/index\.(m?js)$/, 'index.d.ts');
    const module = parseSync(readFileSync(file, 'utf8'), { syntax: 'typescript' }) as unknown as {
      body: Node[];
    };
    interfaces = new Map();
    for (const statement of module.body) {
      if (statement.type !== 'TsInterfaceDeclaration') continue;
      const body = (statement.body as { body: Node[] }).body;
      interfaces.set(value(statement.id), {
        parents: (statement.extends as Node[]).map((e) => value(e.expression)),
        properties: members(body),
      });
    }
  }
  return interfaces;
}

function members(body: Node[]): Property[] {
  return body
    .filter((m) => m.type === 'TsPropertySignature')
    .map((m) => ({
      key: value(m.key),
      optional: m.optional === true,
      type: ((m.typeAnnotation as { typeAnnotation?: Node } | null)?.typeAnnotation ?? null) as Node | null,
    }));
}

/** The properties of an interface, its parents' included (`Record<string, unknown>` adds none). */
function propertiesOf(name: string): Property[] {
  const declaration = load().get(name);
  if (!declaration) throw new Error(`gitbeaker declares no ${name}`);
  const own = new Set(declaration.properties.map((p) => p.key));
  const inherited = declaration.parents.flatMap((p) => (load().has(p) ? propertiesOf(p) : []));
  return [...inherited.filter((p) => !own.has(p.key)), ...declaration.properties];
}

function checkMembers(properties: Property[], given: unknown, at: string, omit: Set<string>): string[] {
  if (!given || typeof given !== 'object' || Array.isArray(given)) return [`${at}: not an object`];
  const record = given as Record<string, unknown>;
  return properties.flatMap((p) => {
    if (omit.has(p.key)) return [];
    if (!(p.key in record)) return p.optional ? [] : [`${at}.${p.key}: missing`];
    return p.type ? check(p.type, record[p.key], `${at}.${p.key}`) : [];
  });
}

const literals = (node: Node | undefined): string[] =>
  !node
    ? []
    : node.type === 'TsLiteralType'
      ? [value(node.literal)]
      : node.type === 'TsUnionType'
        ? (node.types as Node[]).flatMap(literals)
        : [];

function check(node: Node, given: unknown, at: string): string[] {
  switch (node.type) {
    case 'TsUnionType': {
      const each = (node.types as Node[]).map((t) => check(t, given, at));
      return each.some((p) => p.length === 0) ? [] : (each.sort((a, b) => a.length - b.length)[0] ?? []);
    }
    case 'TsParenthesizedType':
      return check(node.typeAnnotation as Node, given, at);
    case 'TsLiteralType': {
      const literal = node.literal as Node;
      if (literal.type === 'StringLiteral')
        return given === value(literal) ? [] : [`${at}: not '${value(literal)}'`];
      return [];
    }
    case 'TsKeywordType': {
      const kind = String(node.kind);
      if (kind === 'null') return given === null ? [] : [`${at}: not null`];
      if (kind === 'string' || kind === 'number' || kind === 'boolean')
        return typeof given === kind ? [] : [`${at}: not a ${kind}`];
      return [];
    }
    case 'TsArrayType':
      return Array.isArray(given)
        ? given.flatMap((v, i) => check(node.elemType as Node, v, `${at}[${i}]`))
        : [`${at}: not an array`];
    case 'TsTypeLiteral':
      return checkMembers(members(node.members as Node[]), given, at, new Set());
    case 'TsTypeReference': {
      const name = value(node.typeName);
      const params = ((node.typeParams as { params?: Node[] } | null)?.params ?? []) as Node[];
      if (
        name === 'MappedOmit' &&
        params[0]?.type === 'TsTypeReference' &&
        load().has(value(params[0].typeName))
      )
        return checkMembers(propertiesOf(value(params[0].typeName)), given, at, new Set(literals(params[1])));
      if (load().has(name)) return checkMembers(propertiesOf(name), given, at, new Set());
      return [];
    }
    default:
      // Anything else (`unknown`, generics, aliases gitbeaker leaves open) is not checked.
      return [];
  }
}

/**
 * Problems with `given` as gitbeaker's `schema` (`IssueSchema`, `ExpandedMergeRequestSchema`…);
 * empty when it fits. `nullable` names fields (`IssueSchema.due_date`) GitLab answers null when
 * unset while gitbeaker types them without null: a null there is not a problem, any other misfit is.
 */
export function schemaProblems(schema: string, given: unknown, nullable: readonly string[] = []): string[] {
  return checkMembers(propertiesOf(schema), given, schema, new Set()).filter((problem) => {
    const field = problem.slice(0, problem.indexOf(':'));
    if (!nullable.includes(field)) return true;
    const key = field.slice(field.lastIndexOf('.') + 1);
    return (given as Record<string, unknown>)[key] !== null;
  });
}
