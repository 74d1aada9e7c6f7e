import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { LocalEndpoint } from './http-gateway';
import { readJson, replyJson, replyProblem } from './local-json';

/** The file under the data dir that holds the local TXT records; functions read it (`HUB_DNS_FILE`). */
export const DNS_FILE = 'dns-txt.json';

const NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

/** A body of `POST /_local/dns`: a name's TXT records, replacing what it had (none removes the name). */
const RecordChange = z
  .object({
    name: z
      .string()
      .transform((n) => n.trim().toLowerCase().replace(/\.$/, ''))
      .pipe(z.string().regex(NAME)),
    txt: z.array(z.string().max(1024)).max(20),
  })
  .strict();

/**
 * Stand-in DNS for the local runtime: TXT records a test or a developer publishes, since one
 * machine has no zone of its own. Kept in the data dir; written whole, then renamed.
 */
export class LocalDns {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, DNS_FILE);
    if (!existsSync(this.file)) this.write({});
  }

  records(): Record<string, string[]> {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string[]>;
    } catch {
      return {};
    }
  }

  set(name: string, txt: readonly string[]): void {
    const zone = this.records();
    if (txt.length === 0) delete zone[name];
    else zone[name] = [...txt];
    this.write(zone);
  }

  private write(zone: Record<string, string[]>): void {
    const partial = `${this.file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(zone), { mode: 0o600 });
    renameSync(partial, this.file);
  }
}

/** `GET /_local/dns` lists the local TXT records; `POST` sets one name's. Local only. */
export function dnsEndpoints(dns: LocalDns): LocalEndpoint[] {
  return [
    { method: 'GET', path: '/_local/dns', handle: async (_req, res) => replyJson(res, 200, dns.records()) },
    {
      method: 'POST',
      path: '/_local/dns',
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const parsed = RecordChange.safeParse(await readJson(req));
        if (!parsed.success) {
          replyProblem(
            res,
            400,
            'Bad Request',
            'The body must be {"name": "<dns name>", "txt": ["<record>", …]} (an empty list removes the name)',
          );
          return;
        }
        dns.set(parsed.data.name, parsed.data.txt);
        replyJson(res, 200, { name: parsed.data.name, txt: parsed.data.txt });
      },
    },
  ];
}
