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
  if (principal.mfa !== true || principal.authTime === undefined) return false;
  const ageMs = at.getTime() - principal.authTime * 1000;
  return ageMs <= stepUpMinutes * 60_000;
}
