import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseSync } from '@swc/core';
import { PROVIDER_MODULES } from '../../../shared/providers';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** The generic layers outside `shared/`: they get providers by injection (or from `shared/providers.ts`), never by name. */
const TOP_LAYERS = ['lib', 'bin', 'functions'];

/**
 * Every folder of `shared/` but `connectors` is a generic layer (a new one is scanned without being
 * listed); of `connectors`, only its top-level files are (its folders are the providers themselves).
 */
const SHARED_LAYERS = readdirSync(join(ROOT, 'shared'))
  .filter((name) => name !== 'connectors' && statSync(join(ROOT, 'shared', name)).isDirectory())
  .map((name) => `shared/${name}`);

/** Layers that must be among those scanned: a rename that drops one from the scan fails. */
const EXPECTED_LAYERS = [
  'shared/sync',
  'shared/webhooks',
  'shared/http',
  'shared/api',
  'shared/events',
  'shared/adapters',
  'shared/topology',
  'shared/queues',
  'shared/approvals',
  'shared/notify',
  'shared/chat',
  'shared/bot',
  'shared/realtime',
  'shared/audit',
  'shared/authz',
  'shared/config',
  'shared/egress',
  'shared/identity',
  'shared/observability',
  'shared/ports',
  'shared/scim',
  'shared/sso',
  'shared/tenancy',
  ...TOP_LAYERS,
];

/** The composition: the list of modules itself, the wiring, and the entry points above `shared/`. */
const COMPOSITION = ['shared/providers.ts', 'shared/adapters/wiring.ts'];
const COMPOSITION_ROOTS = TOP_LAYERS.map((layer) => `${layer}/`);
const isComposition = (file: string) =>
  COMPOSITION.includes(file) || COMPOSITION_ROOTS.some((root) => file.startsWith(root));

/**
 * Files outside the composition that may import its types, and only its types (erased: nothing of
 * a provider is bundled with them), each with why. An entry no longer needed fails.
 */
const TYPE_IMPORTS_ALLOWED: Readonly<Record<string, string>> = {
  // `ConnectionCredentials` is the union of the modules' credential schemas' types.
  'shared/connectors/connection.ts': 'the credentials union is derived from the modules',
};

/**
 * Words a generic file may hold although a provider has them as its name, each with why: the file,
 * and the words. Nothing else is allowed, and an entry that is no longer needed fails.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // The specification the hub signs its own outbound deliveries with, named for the customers who
  // verify them; the inbound provider that takes the same specification is named after it.
  'shared/notify/webhooks/operations.ts': ['Standard Webhooks'],
};

function filesUnder(dir: string): string[] {
  const full = join(ROOT, dir);
  return readdirSync(full).flatMap((name) => {
    const path = join(full, name);
    if (statSync(path).isDirectory()) return filesUnder(relative(ROOT, path));
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [relative(ROOT, path)] : [];
  });
}

const topLevelFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => name.endsWith('.ts') && statSync(join(ROOT, dir, name)).isFile())
    .map((name) => `${dir}/${name}`);

const scanned = (): string[] => [
  ...[...SHARED_LAYERS, ...TOP_LAYERS].flatMap(filesUnder),
  // The top-level files of shared/ but the list of modules, which names them all.
  ...topLevelFiles('shared').filter((file) => file !== 'shared/providers.ts'),
  // The top-level files of shared/connectors (its provider folders are the providers themselves).
  ...topLevelFiles('shared/connectors'),
];

const escaped = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every provider word (ids and display names) a module list gives, whole words, any case. */
function providerWords(modules: readonly { id: string; displayName: string }[]): RegExp {
  const words = [...new Set(modules.flatMap((m) => [m.id, m.displayName]))]
    .sort((a, b) => b.length - a.length)
    .map(escaped);
  // Underscores and hyphens separate words too: a `github_app` kind names its provider.
  return new RegExp(`(?<![A-Za-z0-9])(${words.join('|')})(?![A-Za-z0-9])`, 'gi');
}

/**
 * The provider names a source text holds outside comments, and its imports of a provider folder.
 * A real TypeScript parser (swc's, the one the tests are compiled with; TypeScript 7 has no JS API)
 * reads the text, so comments (trivia to it) are never looked at, and every identifier, string,
 * template part and regular expression is.
 */
function providerNamesIn(
  fileName: string,
  source: string,
  modules: readonly { id: string; displayName: string }[],
): string[] {
  const words = providerWords(modules);
  const folder = new RegExp(`connectors/(${modules.map((m) => escaped(m.id)).join('|')})/`);
  const program = parseSync(source, {
    syntax: 'typescript',
    tsx: fileName.endsWith('.tsx'),
    comments: false,
    target: 'es2022',
  });
  const found: string[] = [];
  const look = (text: string) => {
    for (const match of text.matchAll(words)) found.push(match[0]);
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown> & { type?: string };
    if (n.type === 'Identifier' && typeof n.value === 'string') look(n.value);
    if (n.type === 'StringLiteral' && typeof n.value === 'string') {
      look(n.value);
      if (folder.test(n.value)) found.push(`import of ${n.value}`);
    }
    if (n.type === 'TemplateElement' && typeof n.raw === 'string') look(n.raw);
    if (n.type === 'RegExpLiteral' && typeof n.pattern === 'string') look(n.pattern);
    if (n.type === 'JSXText' && typeof n.value === 'string') look(n.value);
    for (const [key, value] of Object.entries(n)) if (key !== 'span' && key !== 'ctxt') visit(value);
  };
  visit(program);
  return found;
}

/** What a module specifier names, from the repository's root, without its extension or `/index`. */
function resolved(fileName: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return relative(ROOT, resolve(ROOT, dirname(fileName), specifier))
    .replace(/\.(ts|js|mjs|cjs)$/, '')
    .replace(/\/index$/, '');
}

/**
 * The imports of the list of modules (`shared/providers`) a source text makes: static and dynamic
 * imports, re-exports, `require` and `import()` types, each as written, `type` before it when it
 * only imports types. Comments are trivia to the parser and never looked at.
 */
function compositionImportsIn(fileName: string, source: string): string[] {
  const program = parseSync(source, {
    syntax: 'typescript',
    tsx: fileName.endsWith('.tsx'),
    comments: false,
    target: 'es2022',
  });
  const found: string[] = [];
  const check = (specifier: unknown, typeOnly: boolean) => {
    if (typeof specifier !== 'string' || resolved(fileName, specifier) !== 'shared/providers') return;
    found.push(typeOnly ? `type ${specifier}` : specifier);
  };
  const literal = (node: unknown) =>
    node && typeof node === 'object' && (node as { type?: string }).type === 'StringLiteral'
      ? (node as { value: string }).value
      : undefined;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown> & { type?: string };
    if (n.type === 'ImportDeclaration') {
      const specifiers = (n.specifiers ?? []) as { isTypeOnly?: boolean }[];
      const allTypes =
        n.typeOnly === true || (specifiers.length > 0 && specifiers.every((x) => x.isTypeOnly === true));
      check(literal(n.source), allTypes);
    }
    if (n.type === 'ExportAllDeclaration' || n.type === 'ExportNamedDeclaration')
      check(literal(n.source), n.typeOnly === true);
    if (n.type === 'CallExpression') {
      const callee = n.callee as { type?: string; value?: string } | undefined;
      const first = (n.arguments as { expression?: unknown }[] | undefined)?.[0]?.expression;
      if (callee?.type === 'Import' || (callee?.type === 'Identifier' && callee.value === 'require'))
        check(literal(first), false);
    }
    if (n.type === 'TsImportType') check(literal(n.argument), true);
    for (const [key, value] of Object.entries(n)) if (key !== 'span' && key !== 'ctxt') visit(value);
  };
  visit(program);
  return found;
}

describe('the generic layers name no provider', () => {
  it('finds a provider named in code, not in a comment, and an import of a provider folder', () => {
    const modules = [
      { id: 'acme', displayName: 'Acme Cloud' },
      { id: 'forge', displayName: 'Forge' },
    ];
    const source = [
      '// Acme and forge in a comment are fine; so is /* FORGE */ here.',
      "import { client } from '../connectors/acme/client';",
      "const summary = 'Links between acme cloud issues';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the snippet is source text with a template in it
      'const path = `/hooks/${1}/Forge/x`;',
      "const forgery = 'forged'; const kind = 'forge_token';",
      '/** acme */ const ok = /forge/;',
    ].join('\n');
    expect(providerNamesIn('snippet.ts', source, modules)).toEqual([
      'acme',
      'import of ../connectors/acme/client',
      'acme cloud',
      'Forge',
      'forge',
      'forge',
    ]);
  });

  const files = scanned();
  const words = PROVIDER_MODULES;

  it('scans every generic layer', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const layer of [...EXPECTED_LAYERS, 'shared/connectors/'])
      expect(files.some((f) => f.startsWith(`${layer.replace(/\/$/, '')}/`))).toBe(true);
    expect(files).toContain('shared/ttl-cache.ts');
    expect(files).not.toContain('shared/providers.ts');
    expect(files).not.toContain('shared/connectors/gitlab/module.ts');
  });

  it.each(files)('%s', (file) => {
    const found = providerNamesIn(file, readFileSync(join(ROOT, file), 'utf8'), words);
    const allowed = new Set((ALLOWED[file] ?? []).map((w) => w.toLowerCase()));
    expect(found.filter((w) => !allowed.has(w.toLowerCase()))).toEqual([]);
    // An allowance no longer needed goes.
    for (const word of allowed) expect(found.map((w) => w.toLowerCase())).toContain(word);
  });
});

describe('only the composition imports the list of modules', () => {
  it('finds every way of importing shared/providers, and nothing else', () => {
    const source = [
      "// import { PROVIDERS } from '../providers'; in a comment is fine",
      "import { PROVIDERS } from '../providers';",
      "import type { PROVIDER_MODULES } from '../providers.ts';",
      "import { type ProviderCatalog } from '../providers/index';",
      "export { PROVIDER_MODULES } from '../providers';",
      "export * from '../providers';",
      "const lazy = () => import('../providers');",
      "const required = require('../../shared/providers');",
      "type Modules = typeof import('../providers').PROVIDER_MODULES;",
      // The sync layer's own `providers` file and a package of that name are other modules.
      "import { workItemConnector } from './providers';",
      "import { PROVIDERS as P } from 'providers';",
      "const text = '../providers';",
    ].join('\n');
    expect(compositionImportsIn('shared/sync/snippet.ts', source)).toEqual([
      '../providers',
      'type ../providers.ts',
      'type ../providers/index',
      '../providers',
      '../providers',
      '../providers',
      '../../shared/providers',
      'type ../providers',
    ]);
    // The same import from a handler is the composition's own.
    expect(
      compositionImportsIn('functions/x/handler.ts', "import { PROVIDERS } from '../../shared/providers';"),
    ).toEqual(['../../shared/providers']);
    expect(isComposition('functions/x/handler.ts')).toBe(true);
    expect(isComposition('shared/adapters/wiring.ts')).toBe(true);
    expect(isComposition('shared/adapters/wiring-access.ts')).toBe(false);
    expect(isComposition('shared/sync/providers.ts')).toBe(false);
    expect(isComposition('shared/connectors/gitlab/module.ts')).toBe(false);
  });

  // Every file of shared/ (provider folders too: a module importing the list is a cycle) but the composition.
  const files = filesUnder('shared').filter((file) => !isComposition(file));

  it('checks shared/ whole, the wiring and the list aside', () => {
    expect(files).toContain('shared/sync/providers.ts');
    expect(files).toContain('shared/connectors/gitlab/module.ts');
    expect(files).not.toContain('shared/adapters/wiring.ts');
  });

  it.each(files)('%s', (file) => {
    const found = compositionImportsIn(file, readFileSync(join(ROOT, file), 'utf8'));
    if (TYPE_IMPORTS_ALLOWED[file] === undefined) {
      expect(found).toEqual([]);
      return;
    }
    // Types alone, and still needed.
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((imported) => !imported.startsWith('type '))).toEqual([]);
  });
});
