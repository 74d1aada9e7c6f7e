import type { Principal } from '../../../../shared/identity/principal';
import { principalFromContext, principalToContext } from '../../../../shared/identity/principal';
import type { Session } from '../../../../shared/identity/session';
import { revocationOf, signInMethodOf } from '../../../../shared/identity/session';

const signedIn = 1_790_000_000;
const record = (overrides: Partial<Session> = {}): Session => ({
  id: 'ses_01JD3Q4ZK8M7X2V9N6B5C4D3E1',
  orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA',
  userId: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1',
  signInMethod: 'password',
  userAgent: 'curl/8',
  ip: '203.0.113.9',
  startedAt: new Date(signedIn * 1000).toISOString(),
  lastSeenAt: new Date(signedIn * 1000).toISOString(),
  ...overrides,
});

describe('the sign-in method a session shows', () => {
  it('reads a password, a second factor, and a federated identity provider from the claims', () => {
    expect(signInMethodOf({ amr: ['pwd'] })).toBe('password');
    expect(signInMethodOf({ amr: ['pwd', 'otp'] })).toBe('password+mfa');
    expect(signInMethodOf({ amr: ['hwk', 'user'] })).toBe('passkey+mfa');
    expect(signInMethodOf({ amr: ['swk'] })).toBe('unknown+mfa');
    expect(
      signInMethodOf({ amr: ['pwd'], identities: [{ providerType: 'SAML', providerName: 'AcmeIdP' }] }),
    ).toBe('saml:AcmeIdP');
    expect(
      signInMethodOf({ identities: [{ providerType: 'OIDC', providerName: 'Okta' }], amr: ['mfa'] }),
    ).toBe('oidc:Okta+mfa');
    expect(signInMethodOf({})).toBe('unknown');
  });

  it('keeps a provider name it shows to plain characters and a bounded length', () => {
    const method = signInMethodOf({
      identities: [{ providerType: 'SAML', providerName: `<script>${'x'.repeat(200)}` }],
    });
    expect(method).toMatch(/^saml:scriptx+$/);
    expect(method.length).toBe(80);
  });

  it('passes the method through the authorizer context, and drops one that is not of its shape', () => {
    const user: Principal = {
      kind: 'org_member',
      type: 'user',
      id: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1',
      name: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1',
      orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA',
      role: 'member',
      mfa: true,
      authTime: signedIn,
      signInMethod: 'saml:AcmeIdP+mfa',
    };
    expect(principalFromContext(principalToContext(user))).toEqual(user);
    const forged = { ...principalToContext(user), signInMethod: 'a\nb' };
    expect(principalFromContext(forged)).not.toHaveProperty('signInMethod');
  });
});

describe('what revokes a session', () => {
  it('refuses a session revoked by itself, or begun before its user was signed out everywhere', () => {
    expect(revocationOf({ session: record(), revokedBefore: null }, signedIn)).toBeNull();
    expect(
      revocationOf(
        { session: record({ revokedAt: '2026-12-01T00:00:00.000Z' }), revokedBefore: null },
        signedIn,
      ),
    ).toMatch(/revoked at 2026-12-01/);
    const marker = new Date((signedIn + 1) * 1000).toISOString();
    expect(revocationOf({ session: null, revokedBefore: marker }, signedIn)).toMatch(/begun before/);
    // A sign-in after the marker is a new session, and not revoked.
    expect(revocationOf({ session: null, revokedBefore: marker }, signedIn + 2)).toBeNull();
  });
});
