import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { declaredAccess } from '../../../../lib/function-access';
import {
  providerClientFactories,
  wiringAccess,
  wiringPointerWrites,
} from '../../../../shared/adapters/wiring-access';
import { PROVIDERS } from '../../../../shared/providers';
import type { FunctionName, ResourceAccess } from '../../../../shared/topology';
import { functions, pointerWrites } from '../../../../shared/topology';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

/** The wiring factories a handler builds (`adapters.connectionStore()`, …). */
function factoriesOf(entry: string): string[] {
  const source = readFileSync(resolve(ROOT, entry), 'utf8');
  const alias = /import \* as (\w+) from '[./]*shared\/adapters\/wiring'/.exec(source)?.[1];
  if (!alias) return [];
  return [...source.matchAll(new RegExp(`\\b${alias}\\.(\\w+)\\(`, 'g'))].map((m) => m[1] as string);
}

describe("each function's declared access covers what its wiring builds", () => {
  it.each(Object.keys(functions) as FunctionName[])('%s', (name) => {
    const declared = new Set(declaredAccess(name));
    const needed = factoriesOf(functions[name].entry).flatMap((factory) => {
      const access = wiringAccess[factory as keyof typeof wiringAccess];
      if (!access) throw new Error(`${name} builds ${factory}, which wiring-access.ts does not list`);
      return access.map((a) => ({ factory, access: a }));
    });
    // A write declaration covers a read.
    const covered = (a: ResourceAccess) =>
      declared.has(a) || (a === 'domain-table:read' && declared.has('domain-table:write'));
    expect(needed.filter((n) => !covered(n.access))).toEqual([]);
    // A function that opens provider clients is flagged, so it gets what the provider modules' adapters need.
    const opensClients = factoriesOf(functions[name].entry).some((f) =>
      providerClientFactories.includes(f as (typeof providerClientFactories)[number]),
    );
    const flagged = (functions[name] as { providerClients?: boolean }).providerClients === true;
    expect({ name, flagged }).toEqual({ name, flagged: opensClients });
    if (opensClients) expect(PROVIDERS.access.filter((a) => !covered(a))).toEqual([]);
    const pointers = factoriesOf(functions[name].entry).flatMap(
      (factory) => wiringPointerWrites[factory as keyof typeof wiringPointerWrites] ?? [],
    );
    expect(pointers.filter((p) => !(pointerWrites[name] ?? []).includes(p))).toEqual([]);
  });
});
