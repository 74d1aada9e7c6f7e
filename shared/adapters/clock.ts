import { readFileSync } from 'node:fs';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';

/**
 * The hub's clock. In AWS it is the system's. The local runtime may set `HUB_CLOCK_OFFSET_FILE`:
 * a file holding `{"offsetMs": n}` that `POST /_local/clock` writes, so end-to-end tests can let
 * days pass (an endpoint failing for five, a daily digest) without waiting for them.
 */
export function hubClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const file = env.HUB_CLOCK_OFFSET_FILE;
  if (!file) return systemClock;
  return {
    now: () => {
      let offsetMs = 0;
      try {
        offsetMs = Number((JSON.parse(readFileSync(file, 'utf8')) as { offsetMs?: unknown }).offsetMs) || 0;
      } catch {
        // No file yet: no offset.
      }
      return new Date(Date.now() + offsetMs);
    },
  };
}
