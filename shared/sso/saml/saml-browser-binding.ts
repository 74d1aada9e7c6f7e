import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { cookieSecure, parseCookieHeader } from '../../http/cookies';

/**
 * Binds an SP-initiated SAML sign-in to the browser that started it (login CSRF): `/sso/start`
 * sets a cookie whose hash is kept with the AuthnRequest id, and the ACS accepts a response to
 * that request only from a browser that brings the cookie back. The IdP posts to the ACS from
 * its own site, so the cookie is `SameSite=None` (and so `Secure`, but on the plain-http loopback
 * runtime), and goes to the connection's ACS path alone.
 */

const hashOf = (value: string) => createHash('sha256').update(value).digest('base64url');

/** One cookie per request: sign-ins started side by side in one browser do not undo each other. */
export const samlBrowserCookieName = (requestId: string) => `hub-saml-${hashOf(requestId).slice(0, 16)}`;

export interface SamlBrowserBinding {
  /** The `Set-Cookie` value for the browser. */
  readonly cookie: string;
  /** What the request cache keeps: the cookie value's hash, never the value. */
  readonly browserHash: string;
}

/** A fresh binding for a request whose response will be posted to `acsUrl`. */
export function newSamlBrowserBinding(
  requestId: string,
  acsUrl: string,
  maxAgeMs: number,
): SamlBrowserBinding {
  const value = randomBytes(32).toString('base64url');
  return {
    cookie: `${samlBrowserCookieName(requestId)}=${value}; ${attributes(acsUrl, Math.ceil(maxAgeMs / 1000))}`,
    browserHash: hashOf(value),
  };
}

/** The `Set-Cookie` value that removes a request's cookie (its sign-in is over). */
export const clearSamlBrowserCookie = (requestId: string, acsUrl: string) =>
  `${samlBrowserCookieName(requestId)}=; ${attributes(acsUrl, 0)}`;

/** True when the `Cookie` header carries the cookie whose hash the request kept. */
export function sameSamlBrowser(cookieHeader: string | undefined, requestId: string, browserHash: string) {
  const value = parseCookieHeader(cookieHeader).get(samlBrowserCookieName(requestId));
  if (!value || !browserHash) return false;
  const a = Buffer.from(hashOf(value));
  const b = Buffer.from(browserHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

function attributes(acsUrl: string, maxAgeSeconds: number) {
  const secure = cookieSecure(acsUrl) ? '; Secure' : '';
  return `Max-Age=${maxAgeSeconds}; Path=${new URL(acsUrl).pathname}; HttpOnly; SameSite=None${secure}`;
}
