import type { SsoConnection } from '../../../../shared/sso/connections';
import type { PendingOidcSignIn } from '../../../../shared/sso/oidc-sign-in';
import { makeOidcSignIn } from '../../../../shared/sso/oidc-sign-in';

const base: SsoConnection = {
  id: 'sso_01M8F79MGRCMY1JDM07R52VC06',
  orgId: 'org_01M8F79MGRCMY1JDM07R52VC06',
  protocol: 'oidc',
  name: 'Corp IdP',
  enabled: true,
  defaultRole: 'member',
  groupMappings: [],
  configuredByRole: 'owner',
  saml: null,
  oidc: { issuer: 'https://idp.example', clientId: 'hub', scopes: ['openid'], groupsClaim: 'groups' },
  encryptedSecret: 'sealed',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

/** A sign-in whose IdP answers `claims` for the code: started, then called back in the same browser. */
async function signInWith(
  claims: Record<string, unknown>,
  decrypted: string[] = [],
  settings: Partial<NonNullable<SsoConnection['oidc']>> = {},
) {
  const connection = { ...base, oidc: { ...(base.oidc as NonNullable<SsoConnection['oidc']>), ...settings } };
  const pending = new Map<string, PendingOidcSignIn>();
  let state = '';
  const oidc = makeOidcSignIn({
    pending: {
      remember: async (p) => void pending.set(p.stateHash, p),
      take: async (_o, h) => {
        const p = pending.get(h) ?? null;
        pending.delete(h);
        return p;
      },
    },
    client: {
      authorizationUrl: async (_c, params) => {
        state = params.state;
        return `https://idp.example/authorize?state=${state}`;
      },
      exchange: async () => claims,
    },
    cipher: {
      encrypt: async (s) => s,
      decrypt: async (s) => {
        decrypted.push(s);
        return s;
      },
    },
    clock: { now: () => new Date() },
    publicUrl: 'http://127.0.0.1:3000',
  });
  const { cookie } = await oidc.start(connection);
  // Anyone may start a sign-in: it costs no decryption of the client secret.
  expect(decrypted).toEqual([]);
  const callback = new URL(
    `http://127.0.0.1:3000/sso/oidc/callback?code=c&state=${encodeURIComponent(state)}`,
  );
  return oidc.callback(callback, String(cookie.split(';')[0]), async () => connection);
}

describe('OIDC sign-in', () => {
  it('decrypts the client secret for the code exchange only, never to start', async () => {
    const decrypted: string[] = [];
    await signInWith({ sub: 'idp-ada', email: 'ada@corp.example', email_verified: true }, decrypted);
    expect(decrypted).toHaveLength(1);
  });

  it("takes the ID token's sub as the subject a sign-in binds", async () => {
    const outcome = await signInWith({ sub: 'idp-ada', email: 'ada@corp.example', email_verified: true });
    expect('identity' in outcome && outcome.identity.subject).toBe('idp-ada');
  });

  it('refuses an ID token without a subject: nothing to bind the user to', async () => {
    for (const sub of [undefined, '', 42]) {
      const outcome = await signInWith({ sub, email: 'ada@corp.example', email_verified: true });
      expect('refused' in outcome && outcome.refused.reason).toBe('oidc_response_invalid');
    }
  });

  it('takes an email only when the IdP says it is verified, unless the connection says its IdP never sends that', async () => {
    const reasonOf = (outcome: Awaited<ReturnType<typeof signInWith>>) =>
      'refused' in outcome ? outcome.refused.reason : 'signed in';
    expect(reasonOf(await signInWith({ sub: 'a', email: 'ada@corp.example' }))).toBe('email_unverified');
    expect(reasonOf(await signInWith({ sub: 'a', email: 'ada@corp.example', email_verified: false }))).toBe(
      'email_unverified',
    );
    const entra = { requireEmailVerified: false };
    expect(reasonOf(await signInWith({ sub: 'a', email: 'ada@corp.example' }, [], entra))).toBe('signed in');
    // Entra's xms_edov false (the domain's owner did not verify the address) is refused.
    expect(
      reasonOf(await signInWith({ sub: 'a', email: 'ada@corp.example', xms_edov: false }, [], entra)),
    ).toBe('email_unverified');
    expect(
      reasonOf(await signInWith({ sub: 'a', email: 'ada@corp.example', xms_edov: true }, [], entra)),
    ).toBe('signed in');
    // Said false is refused whatever the connection says.
    expect(
      reasonOf(await signInWith({ sub: 'a', email: 'ada@corp.example', email_verified: false }, [], entra)),
    ).toBe('email_unverified');
  });
});
