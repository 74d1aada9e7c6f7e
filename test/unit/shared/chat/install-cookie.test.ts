import {
  clearInstallCookie,
  hasInstallCookie,
  installCookieFor,
  installCookieSecure,
  parseCookieHeader,
  setInstallCookie,
} from '../../../../shared/chat/install-cookie';

const KEY = 'k'.repeat(43);
const scope = { publicUrl: 'https://hub.example.test', callbackPath: '/slack/oauth/callback' };

describe("an install's browser cookie", () => {
  it.each([
    ['https://hub.example.test', true],
    ['https://127.0.0.1:3000', true],
    ['http://hub.example.test', true],
    ['http://10.0.0.5:3000', true],
    ['http://127.0.0.1:3000', false],
    ['http://localhost:3000', false],
    ['http://[::1]:3000', false],
  ])('is Secure for %s: %s', (publicUrl, secure) => {
    expect(installCookieSecure(publicUrl)).toBe(secure);
    expect(setInstallCookie(KEY, 'slack', 's.t', { ...scope, publicUrl }, 600).endsWith('; Secure')).toBe(
      secure,
    );
  });

  it('is one per state, its value a MAC of the state under the key (not the state)', () => {
    const one = installCookieFor(KEY, 'slack', 'state.one');
    const two = installCookieFor(KEY, 'slack', 'state.two');
    expect(one.name).toMatch(/^hub-install-slack-[0-9a-f]{16}$/);
    expect(one.name).not.toBe(two.name);
    expect(one.value).not.toBe(two.value);
    expect(installCookieFor('another key', 'slack', 'state.one').value).not.toBe(one.value);
    expect(installCookieFor(KEY, 'msteams', 'state.one').value).not.toBe(one.value);
    expect(one.value).not.toContain('state');
  });

  it('is set for the callback path only, as long as asked, and cleared with the same attributes', () => {
    const { name, value } = installCookieFor(KEY, 'slack', 's.t');
    expect(setInstallCookie(KEY, 'slack', 's.t', scope, 599.7)).toBe(
      `${name}=${value}; Max-Age=599; Path=/slack/oauth/callback; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(clearInstallCookie(KEY, 'slack', 's.t', scope)).toBe(
      `${name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/slack/oauth/callback; HttpOnly; SameSite=Lax; Secure`,
    );
  });

  it("is found only in a Cookie header carrying that state's cookie with its exact value", () => {
    const { name, value } = installCookieFor(KEY, 'slack', 's.t');
    expect(hasInstallCookie(KEY, 'slack', 's.t', `other=1; ${name}=${value}`)).toBe(true);
    expect(hasInstallCookie(KEY, 'slack', 's.t', undefined)).toBe(false);
    expect(hasInstallCookie(KEY, 'slack', 's.t', '')).toBe(false);
    expect(hasInstallCookie(KEY, 'slack', 's.t', `${name}=${value.slice(1)}`)).toBe(false);
    expect(hasInstallCookie(KEY, 'slack', 's.t', `${name}=${value}x`)).toBe(false);
    expect(hasInstallCookie(KEY, 'slack', 'other.state', `${name}=${value}`)).toBe(false);
    expect(hasInstallCookie('another key', 'slack', 's.t', `${name}=${value}`)).toBe(false);
  });

  it('reads a Cookie header, the first cookie of a name winning', () => {
    expect([...parseCookieHeader('a=1; b=x=y;c=3; a=2; =bad; noequals')]).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
      ['c', '3'],
    ]);
  });
});
