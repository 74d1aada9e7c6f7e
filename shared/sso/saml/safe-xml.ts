import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';

/** The largest SAML document (metadata or response) the hub reads. */
export const MAX_SAML_XML_BYTES = 256 * 1024;

export const SAML_NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/** Why an XML document was not read (too big, a DTD, not well-formed). */
export class UnsafeXmlError extends Error {}

/**
 * Parses untrusted XML: bounded in size, no DTD (so no entity expansion or external entities),
 * any parser warning or error refuses the whole document.
 */
export function parseSafeXml(xml: string, maxBytes = MAX_SAML_XML_BYTES): Document {
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) throw new UnsafeXmlError('document too large');
  // A DTD is the vehicle of entity expansion and external entities; SAML never needs one.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new UnsafeXmlError('document type declarations are refused');
  let doc: Document;
  try {
    // Any warning too: a lenient parse is where two parsers start to disagree about a document.
    doc = new DOMParser({
      onError: (_level, message) => {
        throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    throw new UnsafeXmlError('not well-formed XML', { cause: error });
  }
  for (let n: Node | null = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === n.DOCUMENT_TYPE_NODE)
      throw new UnsafeXmlError('document type declarations are refused');
  }
  if (!doc.documentElement) throw new UnsafeXmlError('no root element');
  return doc;
}

/** Child elements of `parent` with a namespace and local name. */
export function childElements(parent: Element | Document, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n: Node | null = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === n.ELEMENT_NODE) {
      const el = n as Element;
      if (el.namespaceURI === ns && el.localName === localName) out.push(el);
    }
  }
  return out;
}

/** Every descendant element of `root` with a namespace and local name. */
export function descendants(root: Element | Document, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName));
}

/** An element's text, trimmed. */
export const textOf = (el: Element | undefined): string => (el?.textContent ?? '').trim();
