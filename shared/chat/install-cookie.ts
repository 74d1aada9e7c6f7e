import { createHmac, timingSafeEqual } from 'node:crypto';
import { cookieSecure, parseCookieHeader } from '../http/cookies';
import { installStateHash } from './install-state';

/** Secure everywhere but on plain-http loopback (kept under its install name for its callers). */
export const installCookieSecure = cookieSecure;
export { parseCookieHeader };

/**
 * The browser binding of an OAuth install (as Slack's Bolt `InstallProvider` binds its state to a
 * cookie): the install page sets a cookie that only the browser which opened the install link
 * holds, and the callback refuses a state that comes back without it. So a consent another person
 * approved (a hijacked install) or a callback forced on someone else's browser (login CSRF) never
 * binds a workspace. One cookie per install (its name derived from the state), so two installs in
 * two tabs do not undo each other; its value is a MAC of the state, never the state itself.
 */
export interface InstallCookieScope {
  /** The deployment's public URL: https gets `Secure`, plain-http loopback (local runs) does not. */
  readonly publicUrl: string;
  /** The path the platform's consent returns to: the cookie goes to nothing else. */
  readonly callbackPath: string;
}

const PREFIX = 'hub-install-';

/** The cookie that belongs to one install state: its name and the value the callback expects. */
export function installCookieFor(key: string, provider: string, state: string) {
  return {
    name: `${PREFIX}${provider}-${installStateHash(state).slice(0, 16)}`,
    value: createHmac('sha256', key).update(`hub-install-browser:${provider}:${state}`).digest('base64url'),
  };
}

const attributes = (scope: InstallCookieScope) =>
  `Path=${scope.callbackPath}; HttpOnly; SameSite=Lax${installCookieSecure(scope.publicUrl) ? '; Secure' : ''}`;

/** `Set-Cookie` for the install page: HttpOnly, SameSite=Lax, only the callback path, as long as the state lives. */
export function setInstallCookie(
  key: string,
  provider: string,
  state: string,
  scope: InstallCookieScope,
  maxAgeSeconds: number,
): string {
  const { name, value } = installCookieFor(key, provider, state);
  return `${name}=${value}; Max-Age=${Math.max(1, Math.floor(maxAgeSeconds))}; ${attributes(scope)}`;
}

/** `Set-Cookie` that removes the install's cookie (the callback sends it whatever its answer). */
export function clearInstallCookie(
  key: string,
  provider: string,
  state: string,
  scope: InstallCookieScope,
): string {
  const { name } = installCookieFor(key, provider, state);
  return `${name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${attributes(scope)}`;
}

/** Whether the browser that sent `cookieHeader` is the one that opened the install of `state`. */
export function hasInstallCookie(
  key: string,
  provider: string,
  state: string,
  cookieHeader: string | undefined,
): boolean {
  const { name, value } = installCookieFor(key, provider, state);
  const given = parseCookieHeader(cookieHeader).get(name);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(value);
  return a.length === b.length && timingSafeEqual(a, b);
}
