/**
 * Seconds before each retry after the first attempt (made at once): 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h — the schedule the best webhook services use; eight attempts over about 28 hours.
 */
export const WEBHOOK_RETRY_SCHEDULE: readonly number[] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/** Each wait is spread ±20 %, so the retries of a burst that failed together do not return together. */
export const JITTER = 0.2;
/** The longest `Retry-After` honoured: a destination cannot park its messages beyond the schedule's longest wait. */
export const MAX_RETRY_AFTER_SECONDS = 36_000;
/** Waits up to this long ride on SQS's own delay; longer ones go to the due index. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/**
 * The wait before the next attempt of a message that has failed `attempts` times, or null when
 * the schedule is spent. A destination's `Retry-After` (429/503) is honoured when longer, up to a bound.
 */
export function nextRetrySeconds(
  schedule: readonly number[],
  attempts: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  const jittered = Math.max(1, Math.round(base * (1 - JITTER + 2 * JITTER * random())));
  if (retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds)) return jittered;
  return Math.max(jittered, Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(retryAfterSeconds)));
}

/** `Retry-After` as seconds from `now`: delta-seconds or an HTTP date (RFC 9110); undefined when unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
