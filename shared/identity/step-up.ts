import type { Principal } from './principal';

/** How long a second factor counts as recent for policies unless the org says otherwise. */
export const DEFAULT_STEP_UP_MINUTES = 15;

/**
 * Whether the principal proved a second factor recently enough for a step-up policy
 * (`context.mfa`): the sign-in's `amr` shows one and it happened (`auth_time`) at most
 * `stepUpMinutes` ago. A refreshed token keeps its sign-in's `auth_time`, so refreshing does not
 * renew the window; only signing in again with the second factor does. API keys never qualify.
 */
export function hasRecentSecondFactor(
  principal: Extract<Principal, { kind: 'org_member' }>,
  at: Date,
  stepUpMinutes: number = DEFAULT_STEP_UP_MINUTES,
): boolean {
  return principal.mfa === true && hasRecentSignIn(principal, at, stepUpMinutes);
}

/**
 * Whether the principal signed in (`auth_time`) at most `minutes` ago, with whatever factors: what
 * a change to one's second factors asks when there is no second factor to show yet.
 */
export function hasRecentSignIn(
  principal: Extract<Principal, { kind: 'org_member' }>,
  at: Date,
  minutes: number = DEFAULT_STEP_UP_MINUTES,
): boolean {
  if (principal.authTime === undefined) return false;
  return at.getTime() - principal.authTime * 1000 <= minutes * 60_000;
}
