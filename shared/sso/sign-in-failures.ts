import * as z from 'zod';
import { HubError } from '../errors';
import { SAML_REFUSAL_REASONS } from './saml/saml-refusal';

/** Why a sign-in the hub verified itself was refused, beyond SAML's own checks. */
export const SIGN_IN_REFUSAL_REASONS = [
  ...SAML_REFUSAL_REASONS,
  'connection_disabled',
  'org_inactive',
  'oidc_state_unknown',
  'oidc_state_expired',
  'oidc_browser_mismatch',
  'oidc_idp_error',
  'oidc_response_invalid',
  'email_unverified',
  'email_outside_verified_domains',
  'user_deactivated',
  'user_outranks_connection',
  'user_limit_reached',
  'subject_bound_to_other_user',
  'subject_mismatch',
  'mfa_required',
  'session_not_issued',
] as const;
export type SignInRefusalReason = (typeof SIGN_IN_REFUSAL_REASONS)[number];

/** A refused sign-in: the reason is recorded for the org's admins; the person sees a plain message. */
export class SignInRefusedError extends HubError {
  readonly status = 403;
  readonly code = 'sso-sign-in-refused';
  readonly title = 'Sign-in refused';
  constructor(
    readonly reason: SignInRefusalReason,
    message: string,
  ) {
    super(message, { extensions: { reason } });
  }
}

/**
 * What the person at the browser is told: the reason's code, not its detail (which can say which
 * domains an org holds, or what the IdP answered); the org's admins read the detail.
 */
export const publicRefusal = (error: SignInRefusedError) =>
  new SignInRefusedError(
    error.reason,
    `The sign-in was refused (${error.reason}); your organisation's admins can see why`,
  );

/** One refused sign-in, as an admin sees it: no assertion, token or claim values, only what went wrong. */
export interface SignInFailure {
  readonly connectionId: string;
  readonly reason: SignInRefusalReason;
  readonly message: string;
  readonly at: string;
}

export const SignInFailureSchema = z
  .object({
    connectionId: z.string(),
    reason: z.enum(SIGN_IN_REFUSAL_REASONS),
    message: z.string().describe('What went wrong, for the admin (never the assertion or token contents)'),
    at: z.iso.datetime(),
  })
  .meta({ id: 'SignInFailure' });
export const SignInFailureList = z
  .object({ items: z.array(SignInFailureSchema) })
  .meta({ id: 'SignInFailureList' });

/** The last refused sign-ins per connection, kept for a while (TTL) for the org's admins to read. */
export interface SignInFailureStore {
  record(orgId: string, failure: SignInFailure): Promise<void>;
  /** The newest first, at most `limit`. */
  list(orgId: string, connectionId: string, limit: number): Promise<SignInFailure[]>;
}

export const FAILURES_SHOWN = 20;

const RECENT_KEPT = 1000;

/**
 * The store, recording at most `perWindow` refusals of one reason per connection within `windowMs`
 * from one execution environment: the sign-in routes are public, so a flood of forged responses
 * costs a few writes per reason and window, while the admins still see every kind of failure.
 */
export function throttledFailures(
  store: SignInFailureStore,
  options: { windowMs?: number; perWindow?: number; now?: () => number } = {},
): SignInFailureStore {
  const { windowMs = 10_000, perWindow = 5, now = Date.now } = options;
  const recent = new Map<string, { since: number; count: number }>();
  return {
    list: (orgId, connectionId, limit) => store.list(orgId, connectionId, limit),
    async record(orgId, failure) {
      const key = `${orgId}#${failure.connectionId}#${failure.reason}`;
      const at = now();
      const seen = recent.get(key);
      if (seen && at - seen.since < windowMs) {
        if (seen.count >= perWindow) return;
        seen.count += 1;
      } else {
        if (recent.size >= RECENT_KEPT) recent.clear();
        recent.set(key, { since: at, count: 1 });
      }
      await store.record(orgId, failure);
    },
  };
}
