/**
 * Slack's per-method rate limits (docs.slack.dev › Rate limits): Tier 1 ~1/min, Tier 2 ~20/min,
 * Tier 3 ~50/min, Tier 4 ~100/min; `chat.postMessage` is "special": about one message a second per
 * channel, with bursts allowed. A 429 carries `Retry-After` (seconds), which wins over these.
 */
export type SlackRateTier = 1 | 2 | 3 | 4 | 'special';

export const SLACK_METHOD_TIERS: Readonly<Record<string, SlackRateTier>> = {
  'chat.postMessage': 'special',
  'chat.update': 3,
  'chat.postEphemeral': 'special',
  'users.info': 4,
  'users.lookupByEmail': 3,
  'conversations.open': 3,
  'auth.test': 4,
  'oauth.v2.access': 4,
};

/** Calls a minute each tier allows (the special tier: per channel). */
export const TIER_PER_MINUTE: Readonly<Record<SlackRateTier, number>> = {
  1: 1,
  2: 20,
  3: 50,
  4: 100,
  special: 60,
};

/** A method's tier; Slack documents most unlisted methods as Tier 3. */
export const tierOf = (method: string): SlackRateTier => SLACK_METHOD_TIERS[method] ?? 3;

/**
 * How long to wait before calling the method again after Slack refused it as rate limited:
 * Slack's `Retry-After` when it gave one (bounded to an hour), else one tier interval.
 */
export function retryAfterFor(method: string, retryAfterHeader?: string | number | null): number {
  const given = Number(retryAfterHeader);
  if (
    retryAfterHeader !== null &&
    retryAfterHeader !== undefined &&
    retryAfterHeader !== '' &&
    Number.isFinite(given)
  )
    return Math.min(Math.max(1, Math.ceil(given)), 3600);
  return Math.max(1, Math.ceil(60 / TIER_PER_MINUTE[tierOf(method)]));
}
