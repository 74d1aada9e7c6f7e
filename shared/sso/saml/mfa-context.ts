/**
 * Authentication context classes that mean a second factor was used. SAML 2.0 defines a few
 * (Authentication Context §3.4); REFEDS defines a profile for MFA; Microsoft Entra ID and AD FS
 * say `multipleauthn` — as the AuthnContextClassRef, or among the values of the
 * `authnmethodsreferences` attribute it sends by default (with `…/password` for the first factor).
 * Okta sends `PasswordProtectedTransport` whatever the factors, so an Okta org signals MFA with a
 * class or attribute its admin configures (the connection's own `mfaContextClasses`).
 */
export const MFA_CONTEXT_CLASSES: readonly string[] = [
  'http://schemas.microsoft.com/claims/multipleauthn',
  'https://refeds.org/profile/mfa',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI',
];

/** The attribute Entra ID and AD FS list the authentication methods in. */
export const AUTHN_METHODS_ATTRIBUTE = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

/** True when the assertion's context class or its listed methods say a second factor was used. */
export function isMfaContext(
  contextClassRefs: readonly string[],
  authnMethods: readonly string[],
  extraClasses: readonly string[] = [],
): boolean {
  const known = new Set([...MFA_CONTEXT_CLASSES, ...extraClasses]);
  return [...contextClassRefs, ...authnMethods].some((c) => known.has(c));
}

/**
 * Context classes and methods that name one factor (a password, or nothing said): a connection may
 * not count them as a second factor, or every password-only sign-in would pass `mfaRequired`.
 */
export function isSingleFactorContext(value: string): boolean {
  const v = value.trim().toLowerCase();
  return (
    /:ac:classes:(password|passwordprotectedtransport|unspecified|previoussession|internetprotocol(password)?)$/.test(
      v,
    ) ||
    /\/(password|pwd|unspecified)$/.test(v) ||
    v === 'pwd' ||
    v === 'password'
  );
}
