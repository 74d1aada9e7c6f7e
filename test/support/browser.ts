/**
 * A person's browser, as far as cookies go: it keeps what `Set-Cookie` gives it (host-only, by
 * path, until Max-Age/Expires, a `Max-Age=0` removing it) and sends back only what a browser would
 * to that URL — the path must match, and a `Secure` cookie never goes over plain http. Two
 * `Browser`s share nothing, like two people's browsers.
 */
export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly host: string;
  readonly path: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite?: string;
  readonly expiresAt?: number;
}

const defaultPath = (pathname: string) => {
  const cut = pathname.lastIndexOf('/');
  return cut <= 0 ? '/' : pathname.slice(0, cut);
};

const pathMatches = (requestPath: string, cookiePath: string) =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) &&
    (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

/** Parses one `Set-Cookie` value as RFC 6265 does (the attributes this hub sets). */
export function parseSetCookie(header: string, from: URL, now = Date.now()): StoredCookie | null {
  const [pair = '', ...attrs] = header.split(';');
  const at = pair.indexOf('=');
  if (at <= 0) return null;
  let path = defaultPath(from.pathname);
  let secure = false;
  let httpOnly = false;
  let sameSite: string | undefined;
  let expiresAt: number | undefined;
  let maxAge: number | undefined;
  for (const attr of attrs) {
    const [rawKey = '', ...rest] = attr.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'path' && value.startsWith('/')) path = value;
    else if (key === 'secure') secure = true;
    else if (key === 'httponly') httpOnly = true;
    else if (key === 'samesite') sameSite = value;
    else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
    else if (key === 'expires' && !Number.isNaN(Date.parse(value))) expiresAt = Date.parse(value);
  }
  if (maxAge !== undefined) expiresAt = now + maxAge * 1000;
  return {
    name: pair.slice(0, at).trim(),
    value: pair.slice(at + 1).trim(),
    host: from.hostname,
    path,
    secure,
    httpOnly,
    ...(sameSite ? { sameSite } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

export class Browser {
  private jar: StoredCookie[] = [];

  /** The cookies it holds now (unexpired). */
  cookies(now = Date.now()): readonly StoredCookie[] {
    this.jar = this.jar.filter((c) => c.expiresAt === undefined || c.expiresAt > now);
    return this.jar;
  }

  /** The `Cookie` header it would send to `url` (empty when none). */
  cookieHeader(url: string | URL): string {
    const u = new URL(url);
    return this.cookies()
      .filter(
        (c) =>
          c.host === u.hostname && pathMatches(u.pathname, c.path) && (!c.secure || u.protocol === 'https:'),
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** Takes the `Set-Cookie` headers of a response to `url`. */
  take(url: string | URL, setCookies: readonly string[]): void {
    const from = new URL(url);
    for (const header of setCookies) {
      const cookie = parseSetCookie(header, from);
      if (!cookie) continue;
      // A Secure cookie set over plain http is refused, as browsers do (RFC 6265bis).
      if (cookie.secure && from.protocol !== 'https:') continue;
      this.jar = this.jar.filter(
        (c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path),
      );
      if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.jar.push(cookie);
    }
  }

  /**
   * A form posted to `url` (as an IdP's auto-submitting page does), carrying and keeping cookies.
   * Cross-site, so only `SameSite=None` cookies go, as a browser sends them.
   */
  async postForm(url: string | URL, form: Record<string, string>, crossSite = true): Promise<Response> {
    const u = new URL(url);
    const cookie = this.cookies()
      .filter(
        (c) =>
          c.host === u.hostname &&
          pathMatches(u.pathname, c.path) &&
          (!c.secure || u.protocol === 'https:') &&
          (!crossSite || c.sameSite?.toLowerCase() === 'none'),
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(form).toString(),
    });
    this.take(url, response.headers.getSetCookie());
    return response;
  }

  /** One navigation step (a GET, redirects not followed), carrying and keeping cookies. */
  async open(url: string | URL): Promise<Response> {
    const cookie = this.cookieHeader(url);
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    this.take(url, response.headers.getSetCookie());
    return response;
  }
}
