import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { platformPointers } from '../../../../shared/topology/access';

/**
 * The roles may write only the platform pointer types `platformPointers` lists (IAM's leading-key
 * condition, enforced by the local runtime too). A key built with a type that is not listed is
 * refused at run time while every in-process test passes: each literal type must be a listed one.
 */
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });

/** Pointer-like items in the platform's own trail, not written through a pointer grant. */
const NOT_POINTERS = new Set(['AUDIT']);

describe('platform pointer keys', () => {
  it('builds every literal platform key with a pointer type the access lists grant', () => {
    const listed = new Set<string>(Object.values(platformPointers));
    const unlisted: string[] = [];
    for (const file of files(join(process.cwd(), 'shared'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/platformPk\(\s*'([A-Z]+)'/g)) {
        const type = String(match[1]);
        if (!listed.has(type) && !NOT_POINTERS.has(type)) unlisted.push(`${file}: ${type}`);
      }
    }
    expect(unlisted).toEqual([]);
  });
});
