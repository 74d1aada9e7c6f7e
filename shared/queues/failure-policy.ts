import {
  DependencyUnavailableError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  QuotaExceededError,
  ValidationError,
} from '../errors';

/** What a worker does with a message whose handling failed. */
export type QueueAction =
  /** Leave it on the queue, to be received again after `delaySeconds`. */
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly reason: string }
  /** Take it off the queue into the org's dead letters, with the reason, for a redrive once fixed. */
  | { readonly kind: 'park'; readonly reason: string }
  /** As `park`, and the connection is marked as needing attention: no retry storm against a refusal. */
  | { readonly kind: 'park-needs-attention'; readonly reason: string }
  /** Nothing can come of it: drop it, with an audit record saying so. */
  | { readonly kind: 'drop'; readonly reason: string };

/** SQS's longest visibility timeout is 12 hours; a retry is never put off longer. */
const MAX_DELAY_SECONDS = 12 * 3600;
const BASE_DELAY_SECONDS = 5;
const MAX_BACKOFF_SECONDS = 15 * 60;

/** Exponential backoff with full jitter: 5 s, 10 s, 20 s … up to 15 minutes, spread so retries do not stampede. */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_SECONDS, BASE_DELAY_SECONDS * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}

/**
 * The one map from a failure to what happens to its message, used by every queue worker:
 * - rate limited → retry after the provider's reset time (never sooner);
 * - provider 5xx, timeout, or one of our dependencies unavailable → retry with backoff and jitter;
 * - credentials refused → park and mark the connection as needing attention;
 * - malformed or unmappable payload → park, with the reason;
 * - not found on the provider → drop, audited;
 * - anything else (a bug, an unknown failure) → retry with backoff; after the queue's maximum
 *   receives SQS moves it to the queue's DLQ, whose alarm calls an operator.
 */
export function actionFor(error: unknown, attempt: number, random?: () => number): QueueAction {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (error instanceof ProviderRateLimitedError || error instanceof QuotaExceededError) {
    const wait =
      error instanceof ProviderRateLimitedError
        ? error.retryAfterSeconds
        : Number(error.extensions.retryAfterSeconds ?? 0);
    return { kind: 'retry', delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(wait))), reason };
  }
  if (error instanceof ProviderAuthError) return { kind: 'park-needs-attention', reason };
  if (error instanceof ValidationError) return { kind: 'park', reason };
  if (error instanceof ProviderNotFoundError) return { kind: 'drop', reason };
  if (error instanceof ProviderUnavailableError || error instanceof DependencyUnavailableError) {
    return { kind: 'retry', delaySeconds: backoffSeconds(attempt, random), reason };
  }
  return { kind: 'retry', delaySeconds: backoffSeconds(attempt, random), reason };
}
