import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseSync } from '@swc/core';
import { PROVIDER_MODULES } from '../../../shared/providers';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** The generic layers: they get providers by injection (or from `shared/providers.ts`), never by name. */
const LAYERS = [
  'shared/sync',
  'shared/webhooks',
  'shared/http',
  'shared/api',
  'shared/events',
  'shared/adapters',
  'shared/topology',
  'shared/queues',
  'shared/approvals',
  'lib',
  'bin',
  'functions',
];

/**
 * Names still written in files this change does not own, each a TODO for its owner: the file, and
 * the words it may still hold. Nothing else is allowed, and an entry that is no longer needed fails.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {};

function filesUnder(dir: string): string[] {
  const full = join(ROOT, dir);
  return readdirSync(full).flatMap((name) => {
    const path = join(full, name);
    if (statSync(path).isDirectory()) return filesUnder(relative(ROOT, path));
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [relative(ROOT, path)] : [];
  });
}

const scanned = (): string[] => [
  ...LAYERS.flatMap(filesUnder),
  // The top-level files of shared/connectors (its provider folders are the providers themselves).
  ...readdirSync(join(ROOT, 'shared/connectors'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `shared/connectors/${name}`),
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
    for (const layer of [...LAYERS, 'shared/connectors/'])
      expect(files.some((f) => f.startsWith(layer))).toBe(true);
  });

  it.each(files)('%s', (file) => {
    const found = providerNamesIn(file, readFileSync(join(ROOT, file), 'utf8'), words);
    const allowed = new Set((ALLOWED[file] ?? []).map((w) => w.toLowerCase()));
    expect(found.filter((w) => !allowed.has(w.toLowerCase()))).toEqual([]);
    // An allowance no longer needed goes.
    for (const word of allowed) expect(found.map((w) => w.toLowerCase())).toContain(word);
  });
});
