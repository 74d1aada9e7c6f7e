import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import type { TxtResolver } from '../../sso/domains';
import { NoTxtRecordError } from '../../sso/domains';

/** DNS answers that mean "no such record", not "could not ask". */
const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/** The system's resolver (in AWS, the VPC's or Lambda's), bounded so a slow server cannot hold a request. */
export function systemTxtResolver(timeoutMs = 3000): TxtResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  return {
    async resolveTxt(name) {
      try {
        return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
      } catch (error) {
        if (ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) throw new NoTxtRecordError(name);
        throw error;
      }
    },
  };
}

/**
 * The local runtime's DNS: a JSON file of `{ "<name>": ["<txt>", …] }` that `POST /_local/dns`
 * writes, so a domain can be proven on one machine without a public DNS zone.
 */
export function fileTxtResolver(file: string): TxtResolver {
  return {
    async resolveTxt(name) {
      let zone: Record<string, unknown> = {};
      try {
        zone = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch {
        // No records published yet.
      }
      const records = Object.hasOwn(zone, name) ? zone[name] : undefined;
      if (!Array.isArray(records) || records.length === 0) throw new NoTxtRecordError(name);
      return records.map(String);
    },
  };
}

/** The resolver of this environment: the local runtime's file when it sets `HUB_DNS_FILE`. */
export const txtResolverFrom = (env: NodeJS.ProcessEnv = process.env): TxtResolver =>
  env.HUB_DNS_FILE ? fileTxtResolver(env.HUB_DNS_FILE) : systemTxtResolver();
