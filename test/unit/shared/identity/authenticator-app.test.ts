import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { makeAuthenticatorApps } from '../../../../shared/identity/mfa/authenticator-app';
import type { Principal } from '../../../../shared/identity/principal';
import { AccessTokenRefusedError, type AuthenticatorApps } from '../../../../shared/ports/authenticator-apps';
import type { Org } from '../../../../shared/tenancy/org';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const NOW = new Date('2026-12-03T12:00:00.000Z');
const ADMIN = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9';
const request = { requestId: 'r1', ip: '127.0.0.1', userAgent: 'jest' };
const ada = (authAgeSeconds: number, mfa: boolean): Principal => ({
  kind: 'org_member',
  type: 'user',
  id: ADA,
  name: 'Ada',
  orgId: ORG,
  role: 'member',
  mfa,
  authTime: Math.floor(NOW.getTime() / 1000) - authAgeSeconds,
});

function setUp(
  opts: {
    mfaRequired?: boolean;
    enrolled?: boolean;
    tokenUser?: string;
    poolRefuses?: boolean;
    passkeys?: number;
    /** The resetting admin has an authenticator app of their own. */
    adminEnrolled?: boolean;
  } = {},
) {
  const adminUser: User = {
    id: ADMIN,
    orgId: ORG,
    email: 'grace@acme.test',
    name: 'Grace',
    role: 'admin',
    status: 'active',
    createdAt: '2026-11-27T10:00:00.000Z',
    createdBy: 'key_1',
    ...(opts.adminEnrolled ? { totpEnabledAt: '2026-12-01T00:00:00.000Z' } : {}),
  };
  const told: string[] = [];
  let user: User = {
    id: ADA,
    orgId: ORG,
    email: 'ada@acme.test',
    name: 'Ada',
    role: 'member',
    status: 'active',
    createdAt: '2026-11-27T10:00:00.000Z',
    createdBy: 'key_1',
    ...(opts.enrolled ? { totpEnabledAt: '2026-12-01T00:00:00.000Z' } : {}),
  };
  const audits: AuditRecord[] = [];
  const calls: string[] = [];
  const apps: AuthenticatorApps = {
    associate: async () => {
      if (opts.poolRefuses) throw new AccessTokenRefusedError('refused');
      calls.push('associate');
      return { secretCode: 'JBSWY3DPEHPK3PXP' };
    },
    verify: async (_t, code) => code === '123456',
    enable: async () => void calls.push('enable'),
    disable: async () => void calls.push('disable'),
  };
  const mfa = makeAuthenticatorApps({
    users: {
      get: async (_org, id) => (id === ADMIN ? adminUser : user),
      setTotp: async (u, at, audit) => {
        const { totpEnabledAt: _old, ...rest } = u;
        user = at ? { ...rest, totpEnabledAt: at } : rest;
        audits.push(audit);
      },
    },
    orgs: { get: async () => ({ id: ORG, settings: { mfaRequired: opts.mfaRequired ?? false } }) as Org },
    apps,
    verifyAccessToken: async (token) => {
      if (token !== 'access.token.ok') throw new Error('bad signature');
      return { 'custom:user_id': opts.tokenUser ?? ADA, 'custom:org_id': ORG, token_use: 'access' };
    },
    audit: { append: async (r) => void audits.push(r) },
    sessions: { revokeAll: async () => void calls.push('revokeAll') },
    revoker: { signOut: async () => void calls.push('signOut') },
    mayGrant: async () => undefined,
    clock: { now: () => NOW },
    notices: {
      reset: async (u, by) => void told.push(`${u.email} by ${by.email}`),
      added: async (u, what) => void told.push(`${u.email}: ${what}`),
    },
    passkeys: {
      holdsAny: async (u) => u.id === ADA && (opts.passkeys ?? 0) > 0,
      removeAllOf: async () => {
        calls.push('removePasskeys');
        return opts.passkeys ?? 0;
      },
    },
  });
  return { mfa, audits, calls, told, user: () => user };
}

describe('authenticator apps', () => {
  it('starts with the caller’s own access token only, and never audits the secret', async () => {
    const { mfa, audits } = setUp();
    const started = await mfa.start(ORG, ada(60, false), 'access.token.ok', request);
    expect(started.secretCode).toBe('JBSWY3DPEHPK3PXP');
    expect(JSON.stringify(audits)).not.toContain('JBSWY3DPEHPK3PXP');
    await expect(mfa.start(ORG, ada(60, false), 'forged.token.x', request)).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      setUp({ tokenUser: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E3' }).mfa.start(
        ORG,
        ada(60, false),
        'access.token.ok',
        request,
      ),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      setUp({ poolRefuses: true }).mfa.start(ORG, ada(60, false), 'access.token.ok', request),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('enables on a matching code, records it, and signs the user out everywhere; a wrong code changes nothing', async () => {
    const { mfa, calls, user } = setUp();
    await expect(
      mfa.verify(ORG, ada(60, false), { accessToken: 'access.token.ok', code: '654321' }, request),
    ).rejects.toMatchObject({ status: 400 });
    expect(calls).toEqual([]);
    const out = await mfa.verify(
      ORG,
      ada(60, false),
      { accessToken: 'access.token.ok', code: '123456' },
      request,
    );
    expect(out).toMatchObject({ totp: { enabled: true, enabledAt: NOW.toISOString() }, signedOut: true });
    expect(user().totpEnabledAt).toBe(NOW.toISOString());
    expect(calls).toEqual(['enable', 'revokeAll', 'signOut']);
  });

  it('turns off only after a recent sign-in with the app, and not where the org requires one', async () => {
    const stale = setUp({ enrolled: true });
    await expect(stale.mfa.disable(ORG, ada(3600, true), request)).rejects.toMatchObject({
      code: 'mfa-required',
    });
    await expect(stale.mfa.disable(ORG, ada(60, false), request)).rejects.toMatchObject({
      code: 'mfa-required',
    });
    expect(stale.user().totpEnabledAt).toBeDefined();
    await expect(
      setUp({ enrolled: true, mfaRequired: true }).mfa.disable(ORG, ada(60, true), request),
    ).rejects.toMatchObject({
      status: 409,
    });
    await expect(setUp().mfa.disable(ORG, ada(60, true), request)).rejects.toMatchObject({ status: 404 });
    const fresh = setUp({ enrolled: true });
    await fresh.mfa.disable(ORG, ada(60, true), request);
    // The hub forgets the app before the pool turns it off: no token claims it from then on.
    expect(fresh.user().totpEnabledAt).toBeUndefined();
    expect(fresh.calls).toEqual(['disable']);
    expect(fresh.audits.map((a) => a.action)).toEqual(['mfa.totp_disabled']);
  });

  it('turns off where the org requires a second factor while the user holds a passkey', async () => {
    const withPasskey = setUp({ enrolled: true, mfaRequired: true, passkeys: 1 });
    await withPasskey.mfa.disable(ORG, ada(60, true), request);
    expect(withPasskey.user().totpEnabledAt).toBeUndefined();
  });

  const grace = (authAgeSeconds: number, mfa: boolean) =>
    ({ ...ada(authAgeSeconds, mfa), id: ADMIN, name: 'Grace', role: 'admin' }) as Principal;

  it("an admin's reset removes the user's passkeys too, signs them out, and tells them who did it", async () => {
    const { mfa, calls, told } = setUp({ enrolled: true, passkeys: 2 });
    await mfa.reset(ORG, ADA, grace(60, false), request);
    expect(calls).toEqual(['disable', 'removePasskeys', 'revokeAll', 'signOut']);
    expect(told).toEqual(['ada@acme.test by grace@acme.test']);
  });

  it('resets only for a recently signed-in admin, with their own second factor when they have one or the org requires one; never for an API key', async () => {
    const key = { ...grace(60, false), type: 'api_key', id: 'key_1' } as Principal;
    const refused = async (s: ReturnType<typeof setUp>, principal: Principal, match: object) => {
      await expect(s.mfa.reset(ORG, ADA, principal, request)).rejects.toMatchObject(match);
      expect(s.calls).toEqual([]);
      expect(s.told).toEqual([]);
    };
    await refused(setUp({ enrolled: true }), key, {
      status: 403,
      message: expect.stringMatching(/signed-in admin/),
    });
    // Signed in an hour ago: sign in again first.
    await refused(setUp({ enrolled: true }), grace(3600, false), { status: 403 });
    // An admin with an app of their own shows it, recently.
    await refused(setUp({ enrolled: true, adminEnrolled: true }), grace(60, false), { code: 'mfa-required' });
    await refused(setUp({ enrolled: true, adminEnrolled: true }), grace(3600, true), {
      code: 'mfa-required',
    });
    await expect(
      setUp({ enrolled: true, adminEnrolled: true }).mfa.reset(ORG, ADA, grace(60, true), request),
    ).resolves.toBeUndefined();
    // So does every admin where the org requires a second factor.
    await refused(setUp({ enrolled: true, mfaRequired: true }), grace(60, false), { code: 'mfa-required' });
  });

  it('replaces an enrolled app only after a recent sign-in with it; an admin cannot reset their own', async () => {
    const { mfa, calls } = setUp({ enrolled: true });
    await expect(mfa.start(ORG, ada(60, false), 'access.token.ok', request)).rejects.toMatchObject({
      code: 'mfa-required',
    });
    await expect(
      mfa.verify(ORG, ada(3600, true), { accessToken: 'access.token.ok', code: '123456' }, request),
    ).rejects.toMatchObject({ code: 'mfa-required' });
    expect(calls).toEqual([]);
    expect((await mfa.start(ORG, ada(60, true), 'access.token.ok', request)).secretCode).toBeDefined();
    await expect(mfa.reset(ORG, ADA, ada(60, true), request)).rejects.toMatchObject({ status: 403 });
  });

  it('enrols an app where a passkey is the only factor only after a recent sign-in with it, and a first app only from a recent sign-in', async () => {
    // A password alone (the passkey's owner's, phished) must not add the thief's app.
    const passkeyOnly = setUp({ mfaRequired: true, passkeys: 1 });
    await expect(
      passkeyOnly.mfa.start(ORG, ada(60, false), 'access.token.ok', request),
    ).rejects.toMatchObject({
      code: 'mfa-required',
    });
    await expect(
      passkeyOnly.mfa.verify(
        ORG,
        ada(60, false),
        { accessToken: 'access.token.ok', code: '123456' },
        request,
      ),
    ).rejects.toMatchObject({ code: 'mfa-required' });
    expect(passkeyOnly.calls).toEqual([]);
    expect(
      (await passkeyOnly.mfa.start(ORG, ada(60, true), 'access.token.ok', request)).secretCode,
    ).toBeDefined();
    // No factor yet: a session signed in days ago (a lifted refresh token) plants none.
    const none = setUp();
    await expect(
      none.mfa.start(ORG, ada(3 * 86_400, false), 'access.token.ok', request),
    ).rejects.toMatchObject({
      code: 'mfa-required',
    });
    expect(none.calls).toEqual([]);
  });

  it('refuses an API key: it has no second factors', async () => {
    const key: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'ci',
      orgId: ORG,
      role: 'owner',
    };
    await expect(setUp().mfa.status(ORG, key)).rejects.toMatchObject({ status: 403 });
  });
});
