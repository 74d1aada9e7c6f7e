import { randomBytes, X509Certificate } from 'node:crypto';
import { generateServiceProviderMetadata, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { Element } from '@xmldom/xmldom';
import type { Clock } from '../../ports/clock';
import { AUTHN_METHODS_ATTRIBUTE, isMfaContext } from './mfa-context';
import {
  childElements,
  descendants,
  MAX_SAML_XML_BYTES,
  parseSafeXml,
  SAML_NS,
  textOf,
  UnsafeXmlError,
} from './safe-xml';
import { newSamlBrowserBinding, sameSamlBrowser } from './saml-browser-binding';
import type { SamlAssertionLedger, SamlRequestCache } from './saml-caches';
import { type SamlRefusalReason, SamlSignInRefusedError } from './saml-refusal';

/** A SAML connection's settings as sign-in uses them (the connection store holds more). */
export interface SamlConnectionSettings {
  readonly orgId: string;
  readonly connectionId: string;
  /** The IdP's entity id: the only Issuer accepted. */
  readonly idpEntityId: string;
  /** Where SP-initiated sign-in sends the AuthnRequest (HTTP-Redirect binding). */
  readonly ssoUrl: string;
  /** The only certificates a signature is checked against (PEM or base64 DER). */
  readonly signingCertificates: readonly string[];
  /** Accept responses no AuthnRequest of the hub asked for (sign-in started from the IdP's portal). */
  readonly allowIdpInitiated: boolean;
  /** The attribute holding the user's email; by default the NameID or a well-known email attribute. */
  readonly emailAttribute?: string;
  /** The attribute holding the user's display name; by default a well-known one. */
  readonly nameAttribute?: string;
  /** The attribute listing the user's groups; by default `groups` or Entra's groups claim. */
  readonly groupsAttribute?: string;
  /** Context classes or methods this IdP sends for MFA beyond the well-known ones. */
  readonly mfaContextClasses?: readonly string[];
}

/** The hub's own side of a connection: what the IdP is told about the service provider. */
export interface SamlServiceProvider {
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly metadataUrl: string;
}

/** Who the IdP says signed in, from a response that passed every check. */
export interface SamlIdentity {
  /** The NameID: the IdP's stable name for the user. */
  readonly subject: string;
  readonly nameIdFormat?: string;
  readonly email: string;
  readonly name?: string;
  readonly groups: readonly string[];
  /** The IdP says a second factor was used (its authentication context). */
  readonly mfa: boolean;
  readonly authnContextClassRefs: readonly string[];
  /** Started at the IdP (no AuthnRequest of the hub's asked for it). */
  readonly idpInitiated: boolean;
  /** The AuthnRequest it answers (SP-initiated only): its browser cookie can go. */
  readonly requestId?: string;
  readonly assertionId: string;
}

export interface SamlSignInDeps {
  readonly requests: SamlRequestCache;
  readonly assertions: SamlAssertionLedger;
  readonly clock: Clock;
  /** Clock difference tolerated with the IdP. @default 2 minutes (at most 5) */
  readonly skewMs?: number;
  /** How long an AuthnRequest waits for its response. @default 10 minutes */
  readonly requestTtlMs?: number;
  /** How old (by IssueInstant) an assertion may be, whatever its conditions say. @default 5 minutes */
  readonly maxAssertionAgeMs?: number;
  /**
   * How old an unsolicited (IdP-initiated) assertion may be: nothing ties it to a sign-in the hub
   * started, so it is fresh or refused, whatever NotOnOrAfter it carries. @default 2 minutes
   */
  readonly maxUnsolicitedAgeMs?: number;
}

const MAX_SKEW_MS = 5 * 60_000;
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
];
const NAME_ATTRIBUTES = ['name', 'displayName', 'http://schemas.microsoft.com/identity/claims/displayname'];
const GROUP_ATTRIBUTES = ['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The service provider's URLs for a connection, under the hub's public base URL. */
export function samlServiceProviderFor(publicBaseUrl: string, connectionId: string): SamlServiceProvider {
  const base = `${publicBaseUrl.replace(/\/+$/, '')}/sso/saml/${encodeURIComponent(connectionId)}`;
  // The metadata URL doubles as the entity id: unique per connection (Entra wants one per app) and resolvable.
  return { spEntityId: `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata` };
}

/** SAML 2.0 sign-in for the hub as a service provider: AuthnRequests out, responses verified. */
export function makeSamlSignIn(deps: SamlSignInDeps) {
  const skewMs = Math.min(deps.skewMs ?? 2 * 60_000, MAX_SKEW_MS);
  const requestTtlMs = deps.requestTtlMs ?? 10 * 60_000;
  const maxAgeMs = deps.maxAssertionAgeMs ?? 5 * 60_000;
  const maxUnsolicitedAgeMs = Math.min(deps.maxUnsolicitedAgeMs ?? 2 * 60_000, maxAgeMs);

  const samlFor = (connection: SamlConnectionSettings, sp: SamlServiceProvider, requestId?: string) =>
    new SAML({
      entryPoint: connection.ssoUrl,
      issuer: sp.spEntityId,
      callbackUrl: sp.acsUrl,
      idpCert: [...connection.signingCertificates],
      // The library checks the signature and hands over the signed assertion; the hub checks the
      // rest itself (below) against its own clock, its shared caches and with a reason per check.
      audience: false,
      acceptedClockSkewMs: -1,
      validateInResponseTo: ValidateInResponseTo.never,
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: false,
      // No NameIDPolicy and no requested context: the IdP's app settings decide, and an IdP asked
      // for "PasswordProtectedTransport, exact" may refuse a user who signed in with MFA.
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      generateUniqueId: () => requestId ?? newRequestId(),
    });

  return {
    /**
     * An SP-initiated sign-in: the IdP URL to redirect to, with the AuthnRequest remembered for its
     * response, and the cookie that binds it to this browser (login CSRF: a response to it posted
     * from another browser lacks the cookie and is refused).
     */
    async startSignIn(connection: SamlConnectionSettings, sp: SamlServiceProvider, relayState = '') {
      const requestId = newRequestId();
      const expiresAt = new Date(deps.clock.now().getTime() + requestTtlMs);
      const url = await samlFor(connection, sp, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
      const { cookie, browserHash } = newSamlBrowserBinding(requestId, sp.acsUrl, requestTtlMs);
      await deps.requests.remember({
        orgId: connection.orgId,
        connectionId: connection.connectionId,
        requestId,
        browserHash,
        expiresAt,
      });
      return { url, requestId, expiresAt, cookie };
    },

    /**
     * Verifies an HTTP-POST `SAMLResponse`; refuses it with a `SamlSignInRefusedError` naming the
     * failed check. `cookieHeader` is the posting browser's: a response to an AuthnRequest must
     * come from the browser that started it.
     */
    async verifyResponse(
      connection: SamlConnectionSettings,
      sp: SamlServiceProvider,
      samlResponse: string,
      cookieHeader?: string,
    ): Promise<SamlIdentity> {
      const xml = decodeResponse(samlResponse);
      const doc = parseOrRefuse(xml);
      const response = doc.documentElement as Element;
      if (response.namespaceURI !== SAML_NS.protocol || response.localName !== 'Response')
        refuse('response_malformed');
      checkStatus(response);
      checkStructure(response);

      let signedAssertionXml: string;
      try {
        const { profile } = await samlFor(connection, sp).validatePostResponseAsync({
          SAMLResponse: samlResponse,
        });
        const signed = profile?.getAssertionXml?.();
        if (!signed) refuse('response_malformed');
        signedAssertionXml = signed;
      } catch (error) {
        if (error instanceof SamlSignInRefusedError) throw error;
        // Told apart by what the message carries, not by the library's wording.
        refuse(
          namesUntrustedCertificate(response, connection) ? 'certificate_untrusted' : 'signature_invalid',
          error,
        );
      }

      // From here on only the signed bytes are read: whatever sits outside the signature is ignored.
      const assertion = parseOrRefuse(signedAssertionXml).documentElement as Element;
      const now = deps.clock.now().getTime();
      if (textOf(childElements(assertion, SAML_NS.assertion, 'Issuer')[0]) !== connection.idpEntityId) {
        refuse('issuer_mismatch');
      }
      const issuedAt = timeOf(assertion.getAttribute('IssueInstant'));
      if (issuedAt === undefined) refuse('response_malformed');
      if (issuedAt - skewMs > now) refuse('assertion_not_yet_valid');
      if (issuedAt + maxAgeMs + skewMs <= now) refuse('assertion_expired');

      const conditionsNotOnOrAfter = checkConditions(assertion, sp, now, skewMs);
      const destination = response.getAttribute('Destination');
      if (destination && destination !== sp.acsUrl) refuse('recipient_mismatch');
      const confirmation = bearerConfirmation(assertion, sp, now, skewMs);

      const responseInResponseTo = response.getAttribute('InResponseTo') || undefined;
      const confirmedInResponseTo = confirmation.getAttribute('InResponseTo') || undefined;
      if (responseInResponseTo && confirmedInResponseTo && responseInResponseTo !== confirmedInResponseTo) {
        refuse('request_unknown');
      }
      // Only the assertion's own (signed) answer counts: the Response element may be unsigned, so an
      // InResponseTo there could be any request id an attacker saw in a redirect.
      const requestId = confirmedInResponseTo;
      if (!requestId && !connection.allowIdpInitiated) refuse('unsolicited_not_allowed');
      // Unsolicited, it is bound to nothing but its own freshness (and its id, once).
      if (!requestId && issuedAt + maxUnsolicitedAgeMs + skewMs <= now) refuse('assertion_expired');

      const assertionId = assertion.getAttribute('ID') ?? '';
      if (!assertionId) refuse('response_malformed');
      // Kept for as long as any of its own limits would still let it through.
      const keepUntil = new Date(
        Math.max(
          issuedAt + maxAgeMs,
          conditionsNotOnOrAfter ?? 0,
          timeOf(confirmation.getAttribute('NotOnOrAfter')) ?? 0,
        ) + skewMs,
      );
      if (
        !(await deps.assertions.claimOnce(connection.orgId, connection.connectionId, assertionId, keepUntil))
      ) {
        refuse('assertion_replayed');
      }
      if (requestId) {
        const taken = await deps.requests.take(
          connection.orgId,
          connection.connectionId,
          requestId,
          new Date(now),
        );
        if (taken.outcome === 'reused') refuse('request_reused');
        if (taken.outcome === 'unknown') refuse('request_unknown');
        // The request is spent either way: a response forced on another browser signs no one in.
        if (!sameSamlBrowser(cookieHeader, requestId, taken.request.browserHash)) refuse('browser_mismatch');
      }
      return identityOf(assertion, connection, assertionId, requestId);
    },

    /** The SP metadata to hand to the IdP for a connection (entity id, ACS URL, HTTP-POST binding). */
    serviceProviderMetadata(sp: SamlServiceProvider): string {
      return generateServiceProviderMetadata({
        issuer: sp.spEntityId,
        callbackUrl: sp.acsUrl,
        identifierFormat: NAMEID_EMAIL,
        wantAssertionsSigned: true,
      });
    },
  };
}

export type SamlSignIn = ReturnType<typeof makeSamlSignIn>;

function refuse(reason: SamlRefusalReason, cause?: unknown): never {
  throw new SamlSignInRefusedError(reason, cause === undefined ? undefined : { cause });
}

const newRequestId = () => `_${randomBytes(20).toString('hex')}`;

function decodeResponse(samlResponse: string): string {
  const compact = samlResponse.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length > Math.ceil((MAX_SAML_XML_BYTES * 4) / 3) + 4)
    refuse('response_malformed');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) refuse('response_malformed');
  return Buffer.from(compact, 'base64').toString('utf8');
}

function parseOrRefuse(xml: string) {
  try {
    return parseSafeXml(xml);
  } catch (error) {
    if (error instanceof UnsafeXmlError) refuse('response_malformed', error);
    throw error;
  }
}

function checkStatus(response: Element): void {
  const status = childElements(response, SAML_NS.protocol, 'Status')[0];
  const code = status && childElements(status, SAML_NS.protocol, 'StatusCode')[0];
  if (code?.getAttribute('Value') !== STATUS_SUCCESS) refuse('status_not_success');
}

/**
 * Refuses the shapes signature-wrapping attacks need before any signature is read: exactly one
 * assertion, a direct child of the response; no two elements with one ID; every signature a
 * direct child of the element it signs, referring to that element's ID.
 */
function checkStructure(response: Element): void {
  if (descendants(response, SAML_NS.assertion, 'EncryptedAssertion').length > 0)
    refuse('encrypted_assertion_unsupported');
  // Any namespace: a look-alike "Assertion" elsewhere is what a wrapped document smuggles in.
  const assertions = descendants(response, '*', 'Assertion');
  if (assertions.length !== 1 || assertions[0]?.parentNode !== response) refuse('signature_wrapping');
  const ids = new Set<string>();
  for (const el of descendants(response, '*', '*').concat(response)) {
    for (const name of ['ID', 'Id', 'id']) {
      const id = el.getAttribute(name);
      if (!id) continue;
      if (ids.has(id)) refuse('signature_wrapping');
      ids.add(id);
    }
  }
  const signatures = descendants(response, SAML_NS.dsig, 'Signature');
  if (signatures.length === 0) refuse('signature_missing');
  for (const signature of signatures) {
    const signed = signature.parentNode as Element | null;
    if (signed !== response && signed !== assertions[0]) refuse('signature_wrapping');
    const references = descendants(signature, SAML_NS.dsig, 'Reference');
    if (
      references.length !== 1 ||
      references[0]?.getAttribute('URI') !== `#${signed.getAttribute('ID') ?? ''}`
    ) {
      refuse('signature_wrapping');
    }
  }
}

/** True when the message names a certificate (in a KeyInfo) that the connection does not trust. */
function namesUntrustedCertificate(response: Element, connection: SamlConnectionSettings): boolean {
  const trusted = new Set(connection.signingCertificates.map(fingerprintOf));
  return descendants(response, SAML_NS.dsig, 'X509Certificate').some(
    (c) => !trusted.has(fingerprintOf(textOf(c))),
  );
}

function fingerprintOf(certificate: string): string {
  const body = certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  try {
    return new X509Certificate(Buffer.from(body, 'base64')).fingerprint256;
  } catch {
    return `unreadable:${body}`;
  }
}

function timeOf(value: string | null): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Checks the Conditions (validity window, audience); returns their NotOnOrAfter. */
function checkConditions(assertion: Element, sp: SamlServiceProvider, now: number, skewMs: number) {
  const all = childElements(assertion, SAML_NS.assertion, 'Conditions');
  const conditions = all[0];
  if (all.length !== 1 || !conditions) refuse('audience_mismatch');
  const notBefore = timeOf(conditions.getAttribute('NotBefore'));
  const notOnOrAfter = timeOf(conditions.getAttribute('NotOnOrAfter'));
  if (notBefore !== undefined && notBefore - skewMs > now) refuse('assertion_not_yet_valid');
  if (notOnOrAfter !== undefined && notOnOrAfter + skewMs <= now) refuse('assertion_expired');
  // Every AudienceRestriction must name the hub (SAML core §2.5.1.4); at least one must be there.
  const restrictions = childElements(conditions, SAML_NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) refuse('audience_mismatch');
  for (const r of restrictions) {
    if (!childElements(r, SAML_NS.assertion, 'Audience').some((a) => textOf(a) === sp.spEntityId)) {
      refuse('audience_mismatch');
    }
  }
  return notOnOrAfter;
}

/** The bearer confirmation addressed to the hub's ACS URL and still valid. */
function bearerConfirmation(
  assertion: Element,
  sp: SamlServiceProvider,
  now: number,
  skewMs: number,
): Element {
  const subject = childElements(assertion, SAML_NS.assertion, 'Subject')[0];
  if (!subject) refuse('subject_missing');
  const data = childElements(subject, SAML_NS.assertion, 'SubjectConfirmation')
    .filter((c) => c.getAttribute('Method') === BEARER)
    .flatMap((c) => childElements(c, SAML_NS.assertion, 'SubjectConfirmationData'));
  const addressed = data.filter((d) => d.getAttribute('Recipient') === sp.acsUrl);
  if (addressed.length === 0) refuse('recipient_mismatch');
  const valid = addressed.find((d) => {
    const notBefore = timeOf(d.getAttribute('NotBefore'));
    const notOnOrAfter = timeOf(d.getAttribute('NotOnOrAfter'));
    // A bearer confirmation must bound its own life (SAML profiles §4.1.4.2).
    return (
      (notBefore === undefined || notBefore - skewMs <= now) &&
      notOnOrAfter !== undefined &&
      notOnOrAfter + skewMs > now
    );
  });
  if (!valid) refuse('assertion_expired');
  return valid;
}

function attributesOf(assertion: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const statement of childElements(assertion, SAML_NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, SAML_NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name') ?? '';
      const values = childElements(attribute, SAML_NS.assertion, 'AttributeValue')
        .map(textOf)
        .filter((v) => v !== '');
      out.set(name, [...(out.get(name) ?? []), ...values]);
    }
  }
  return out;
}

function identityOf(
  assertion: Element,
  connection: SamlConnectionSettings,
  assertionId: string,
  requestId: string | undefined,
): SamlIdentity {
  const subjectEl = childElements(assertion, SAML_NS.assertion, 'Subject')[0];
  const nameId = subjectEl && childElements(subjectEl, SAML_NS.assertion, 'NameID')[0];
  const subject = textOf(nameId);
  if (!subject) refuse('subject_missing');
  const nameIdFormat = nameId?.getAttribute('Format') || undefined;
  const attributes = attributesOf(assertion);
  const first = (names: readonly string[]) => names.map((n) => attributes.get(n)?.[0]).find((v) => v);

  // A configured attribute; else an emailAddress NameID; else a well-known attribute; else a NameID
  // that reads as an address (Okta's default "unspecified" format carries the email).
  const email = (
    connection.emailAttribute
      ? first([connection.emailAttribute])
      : nameIdFormat === NAMEID_EMAIL
        ? subject
        : (first(EMAIL_ATTRIBUTES) ?? subject)
  )?.toLowerCase();
  if (!email || !EMAIL.test(email)) refuse('email_missing');
  const name = first(connection.nameAttribute ? [connection.nameAttribute] : NAME_ATTRIBUTES);
  const groupNames = connection.groupsAttribute ? [connection.groupsAttribute] : GROUP_ATTRIBUTES;
  const groups = [...new Set(groupNames.flatMap((n) => attributes.get(n) ?? []))];

  const authnContextClassRefs = childElements(assertion, SAML_NS.assertion, 'AuthnStatement')
    .flatMap((s) => childElements(s, SAML_NS.assertion, 'AuthnContext'))
    .flatMap((c) => childElements(c, SAML_NS.assertion, 'AuthnContextClassRef'))
    .map(textOf);
  const mfa = isMfaContext(
    authnContextClassRefs,
    attributes.get(AUTHN_METHODS_ATTRIBUTE) ?? [],
    connection.mfaContextClasses,
  );
  return {
    subject,
    ...(nameIdFormat ? { nameIdFormat } : {}),
    email,
    ...(name ? { name } : {}),
    groups,
    mfa,
    authnContextClassRefs,
    idpInitiated: requestId === undefined,
    ...(requestId ? { requestId } : {}),
    assertionId,
  };
}
