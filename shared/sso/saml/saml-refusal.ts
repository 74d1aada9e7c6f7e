import { HubError } from '../../errors';

/**
 * Why a SAML sign-in was refused: stable codes an admin reads in the connection's recent failures
 * (never the assertion's contents). One code per check, so a failure says which check it failed.
 */
export const SAML_REFUSAL_REASONS = [
  'response_malformed',
  'status_not_success',
  'signature_missing',
  'signature_wrapping',
  'certificate_untrusted',
  'signature_invalid',
  'encrypted_assertion_unsupported',
  'issuer_mismatch',
  'audience_mismatch',
  'recipient_mismatch',
  'assertion_expired',
  'assertion_not_yet_valid',
  'assertion_replayed',
  'request_unknown',
  'request_reused',
  'browser_mismatch',
  'unsolicited_not_allowed',
  'subject_missing',
  'email_missing',
] as const;

export type SamlRefusalReason = (typeof SAML_REFUSAL_REASONS)[number];

/** A SAML response the hub refused; `reason` is the check it failed. */
export class SamlSignInRefusedError extends HubError {
  readonly status = 401;
  readonly code = 'sso-sign-in-refused';
  readonly title = "The identity provider's answer was refused";
  constructor(
    readonly reason: SamlRefusalReason,
    options?: { cause?: unknown },
  ) {
    super(`SAML sign-in refused: ${reason}`, { ...options, extensions: { reason } });
  }
}
