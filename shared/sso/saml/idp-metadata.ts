import { X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { childElements, descendants, parseSafeXml, SAML_NS, textOf, UnsafeXmlError } from './safe-xml';

export const SAML_BINDINGS = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

/** What the hub needs of an IdP's metadata. */
export interface IdpMetadata {
  readonly entityId: string;
  /** The SingleSignOnService location for the HTTP-Redirect binding (what SP-initiated sign-in uses). */
  readonly ssoUrlRedirect?: string;
  readonly ssoUrlPost?: string;
  /** The IdP's signing certificates, PEM; more than one while it rolls its key over. */
  readonly signingCertificates: readonly string[];
}

/** IdP metadata the hub cannot use; the message says what is missing (it never echoes the document). */
export class InvalidIdpMetadataError extends Error {}

/** Reads an IdP's metadata XML (bounded, no DTD): entity id, SSO URLs, signing certificates. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  let doc: ReturnType<typeof parseSafeXml>;
  try {
    doc = parseSafeXml(xml);
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw new InvalidIdpMetadataError(error.message, { cause: error });
    throw error;
  }
  const root = doc.documentElement as Element;
  const entity = entityDescriptorOf(root);
  const entityId = entity.getAttribute('entityID')?.trim() ?? '';
  if (!entityId) throw new InvalidIdpMetadataError('the EntityDescriptor has no entityID');
  const idp = childElements(entity, SAML_NS.metadata, 'IDPSSODescriptor')[0];
  if (!idp) throw new InvalidIdpMetadataError('the metadata has no IDPSSODescriptor');

  const ssoUrl = (binding: string) =>
    childElements(idp, SAML_NS.metadata, 'SingleSignOnService')
      .find((s) => s.getAttribute('Binding') === binding)
      ?.getAttribute('Location')
      ?.trim() || undefined;
  const ssoUrlRedirect = ssoUrl(SAML_BINDINGS.redirect);
  const ssoUrlPost = ssoUrl(SAML_BINDINGS.post);
  if (!ssoUrlRedirect && !ssoUrlPost) {
    throw new InvalidIdpMetadataError(
      'the IDPSSODescriptor has no HTTP-Redirect or HTTP-POST SingleSignOnService',
    );
  }

  // A KeyDescriptor without `use` serves both signing and encryption (SAML metadata §2.4.1.1).
  const signingCertificates = childElements(idp, SAML_NS.metadata, 'KeyDescriptor')
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => descendants(k, SAML_NS.dsig, 'X509Certificate'))
    .map((c) => toPem(textOf(c)));
  if (signingCertificates.length === 0)
    throw new InvalidIdpMetadataError('the IDPSSODescriptor has no signing certificate');

  return {
    entityId,
    ...(ssoUrlRedirect ? { ssoUrlRedirect } : {}),
    ...(ssoUrlPost ? { ssoUrlPost } : {}),
    signingCertificates: [...new Set(signingCertificates)],
  };
}

function entityDescriptorOf(root: Element): Element {
  if (root.namespaceURI === SAML_NS.metadata && root.localName === 'EntityDescriptor') return root;
  if (root.namespaceURI === SAML_NS.metadata && root.localName === 'EntitiesDescriptor') {
    const entities = childElements(root, SAML_NS.metadata, 'EntityDescriptor');
    // An aggregate names many IdPs; which one this connection means would be a guess.
    if (entities.length === 1 && entities[0]) return entities[0];
    throw new InvalidIdpMetadataError('the metadata must describe exactly one entity');
  }
  throw new InvalidIdpMetadataError('the document is not SAML metadata (no EntityDescriptor)');
}

/**
 * A certificate as PEM, from PEM or bare base64 DER (as metadata and IdP consoles give it);
 * refuses anything that is not an X.509 certificate.
 */
export function toPem(certificate: string): string {
  const body = certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body))
    throw new InvalidIdpMetadataError('a signing certificate is not base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new InvalidIdpMetadataError('a signing certificate is not an X.509 certificate', { cause: error });
  }
  return pem;
}
