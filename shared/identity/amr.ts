/**
 * The claim the pre-token trigger says how a sign-in authenticated in: Cognito's user pool tokens
 * carry no `amr` of their own and a trigger may not set that reserved claim, so the hub's is a
 * space-separated list of OIDC `amr` values (RFC 8176), e.g. `pwd otp` or `ext mfa`.
 */
export const AMR_CLAIM = 'custom:amr';

/** The `amr` values that show a second factor. */
export const SECOND_FACTORS: ReadonlySet<string> = new Set(['mfa', 'otp', 'hwk', 'swk']);

const METHOD = /^[A-Za-z0-9._:-]{1,32}$/;

/**
 * How a token's user authenticated: OIDC's `amr` (the local issuer's tokens, an IdP's), and the
 * hub's own claim (the user pool's tokens). Both come from the verified token; bounded, plain values only.
 */
export function amrOf(claims: Readonly<Record<string, unknown>>): string[] {
  const standard = Array.isArray(claims.amr) ? claims.amr : [];
  const hub = typeof claims[AMR_CLAIM] === 'string' ? String(claims[AMR_CLAIM]).split(' ') : [];
  const all = [...standard, ...hub].filter((m): m is string => typeof m === 'string' && METHOD.test(m));
  return [...new Set(all)].slice(0, 10);
}

/** Whether an `amr` list shows a second factor. */
export const showsSecondFactor = (amr: readonly string[]): boolean => amr.some((m) => SECOND_FACTORS.has(m));
