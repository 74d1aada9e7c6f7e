import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { LocalEndpoint } from './http-gateway';
import { readJson, replyJson, replyProblem } from './local-json';

/** The file under the data dir that holds the offset; every function reads it (`hubClock()`). */
export const CLOCK_OFFSET_FILE = 'clock-offset.json';

/** A body of `POST /_local/clock`: move the clock on by seconds, or set its offset outright. */
const ClockChangeSchema = z.union([
  z.object({ advanceSeconds: z.number().finite() }).strict(),
  z.object({ offsetMs: z.number().int() }).strict(),
]);

/**
 * The local runtime's clock: the real time plus an offset a test sets, so days can pass (an
 * endpoint failing for five, a daily digest) without waiting. Kept in the data dir, like the data
 * whose due times it moves past; the functions read it through `HUB_CLOCK_OFFSET_FILE`.
 */
export class LocalClock {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, CLOCK_OFFSET_FILE);
    if (!existsSync(this.file)) this.write(0);
  }

  offsetMs(): number {
    try {
      return Number((JSON.parse(readFileSync(this.file, 'utf8')) as { offsetMs?: unknown }).offsetMs) || 0;
    } catch {
      return 0;
    }
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs());
  }

  setOffset(offsetMs: number): void {
    this.write(offsetMs);
  }

  advance(seconds: number): void {
    this.write(this.offsetMs() + Math.round(seconds * 1000));
  }

  private write(offsetMs: number): void {
    // Written whole, then renamed: a function reading it mid-write sees the old offset or the new.
    const partial = `${this.file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify({ offsetMs }), { mode: 0o600 });
    renameSync(partial, this.file);
  }

  view() {
    return { offsetMs: this.offsetMs(), now: this.now().toISOString() };
  }
}

/** `GET /_local/clock` shows the offset and the hub's time; `POST` moves or sets it. Local only. */
export function clockEndpoints(clock: LocalClock): LocalEndpoint[] {
  return [
    { method: 'GET', path: '/_local/clock', handle: async (_req, res) => replyJson(res, 200, clock.view()) },
    {
      method: 'POST',
      path: '/_local/clock',
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const parsed = ClockChangeSchema.safeParse(await readJson(req));
        if (!parsed.success) {
          replyProblem(
            res,
            400,
            'Bad Request',
            'The body must be {"advanceSeconds": <number>} or {"offsetMs": <integer>}',
          );
          return;
        }
        if ('advanceSeconds' in parsed.data) clock.advance(parsed.data.advanceSeconds);
        else clock.setOffset(parsed.data.offsetMs);
        replyJson(res, 200, clock.view());
      },
    },
  ];
}
