import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import type { RelyingParty } from '../../../../../shared/config/config';
import { parseRelyingParty } from '../../../../../shared/config/config';
import { makeManagePasskeys } from '../../../../../shared/identity/passkeys/manage-passkeys';
import type {
  Passkey,
  PasskeyChallengeStore,
  PasskeyStore,
} from '../../../../../shared/identity/passkeys/passkey';
import { PasskeySignInRefusedError } from '../../../../../shared/identity/passkeys/passkey';
import { makePasskeySignIn } from '../../../../../shared/identity/passkeys/passkey-sign-in';
import type { Principal } from '../../../../../shared/identity/principal';
import type { Org } from '../../../../../shared/tenancy/org';
import type { User } from '../../../../../shared/tenancy/user';
import { SoftwareAuthenticator } from '../../../../support/software-authenticator';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const BOB = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const ORIGIN = 'https://hub.example.com';
const RP: RelyingParty = { rpId: 'hub.example.com', rpName: 'Hub', origins: [ORIGIN] };
const request = { requestId: 'r1', ip: '127.0.0.1', userAgent: 'jest' };

const userOf = (id: string, extra: Partial<User> = {}): User => ({
  id,
  orgId: ORG,
  email: `${id}@acme.test`,
  name: id === ADA ? 'Ada' : 'Bob',
  role: 'member',
  status: 'active',
  createdAt: '2026-11-27T10:00:00.000Z',
  createdBy: 'key_1',
  ...extra,
});

/** The ports in memory, with the semantics the DynamoDB adapter gives them. */
function memoryStores() {
  const passkeys = new Map<string, Passkey>();
  const registrations = new Map<string, { challenge: string; expiresAt: Date }>();
  const signIns = new Map<string, Date>();
  const store: PasskeyStore = {
    listOf: async (orgId, userId) =>
      [...passkeys.values()].filter((p) => p.orgId === orgId && p.userId === userId),
    get: async (orgId, userId, id) => {
      const p = passkeys.get(id);
      return p && p.orgId === orgId && p.userId === userId ? p : null;
    },
    add: async (p, audit, limit) => {
      if ([...passkeys.values()].some((x) => x.credentialId === p.credentialId))
        throw Object.assign(new Error('registered'), { status: 409 });
      if ((await store.listOf(p.orgId, p.userId)).length >= limit)
        throw Object.assign(new Error('full'), { status: 409 });
      passkeys.set(p.id, p);
      audits.push(audit);
    },
    remove: async (p, audit) => {
      passkeys.delete(p.id);
      audits.push(audit);
    },
    lookup: async (credentialId) => {
      const p = [...passkeys.values()].find((x) => x.credentialId === credentialId);
      return p ? { orgId: p.orgId, userId: p.userId, passkeyId: p.id } : null;
    },
    recordUse: async (p, counter, at) => {
      const kept = passkeys.get(p.id);
      if (!kept) return false;
      if (counter > 0 ? kept.counter >= counter : kept.counter !== 0) return false;
      passkeys.set(p.id, { ...kept, counter, lastUsedAt: at });
      return true;
    },
  };
  const challenges: PasskeyChallengeStore = {
    putRegistration: async (orgId, userId, challenge, expiresAt) =>
      void registrations.set(`${orgId}/${userId}`, { challenge, expiresAt }),
    takeRegistration: async (orgId, userId, now) => {
      const pending = registrations.get(`${orgId}/${userId}`);
      registrations.delete(`${orgId}/${userId}`);
      return pending && pending.expiresAt > now ? pending.challenge : null;
    },
    putSignIn: async (challenge, expiresAt) => void signIns.set(challenge, expiresAt),
    takeSignIn: async (challenge, now) => {
      const expiresAt = signIns.get(challenge);
      signIns.delete(challenge);
      return expiresAt !== undefined && expiresAt > now;
    },
  };
  const audits: AuditRecord[] = [];
  return { store, challenges, passkeys, audits };
}

function setUp(
  opts: { relyingParty?: RelyingParty | null; mfaRequired?: boolean; counterStep?: number } = {},
) {
  let now = new Date('2026-12-03T12:00:00.000Z');
  const clock = { now: () => now };
  const users = new Map<string, User>([
    [ADA, userOf(ADA)],
    [BOB, userOf(BOB)],
  ]);
  let org = { id: ORG, status: 'active', settings: { mfaRequired: opts.mfaRequired ?? false } } as Org;
  const stores = memoryStores();
  const calls: string[] = [];
  const issued: { userId: string; amr: readonly string[] }[] = [];
  const relyingParty = opts.relyingParty === undefined ? RP : opts.relyingParty;
  const deps = {
    users: { get: async (_o: string, id: string) => users.get(id) ?? null },
    orgs: { get: async () => org },
    relyingParty,
    clock,
  };
  const told: string[] = [];
  const manage = makeManagePasskeys({
    ...deps,
    notices: { added: async (u, what) => void told.push(`${u.id}: ${what}`) },
    passkeys: stores.store,
    challenges: stores.challenges,
    sessions: { revokeAll: async () => void calls.push('revokeAll') },
    revoker: { signOut: async () => void calls.push('signOut') },
  });
  const signIn = makePasskeySignIn({
    ...deps,
    passkeys: stores.store,
    challenges: stores.challenges,
    sessions: {
      issue: async (input) => {
        issued.push({ userId: input.userId, amr: input.amr });
        return {
          idToken: 'id',
          accessToken: 'access',
          refreshToken: null,
          expiresIn: 3600,
          tokenType: 'Bearer',
        };
      },
    },
    audit: { append: async (r) => void stores.audits.push(r) },
  });
  const principal = (id: string, opts2: { mfa?: boolean; authAgeSeconds?: number } = {}): Principal => ({
    kind: 'org_member',
    type: 'user',
    id,
    name: id,
    orgId: ORG,
    role: 'member',
    mfa: opts2.mfa ?? false,
    authTime: Math.floor(now.getTime() / 1000) - (opts2.authAgeSeconds ?? 60),
  });
  const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, counterStep: opts.counterStep ?? 1 });
  /** Registers a passkey for the user with the authenticator, as the browser would. */
  const register = async (userId = ADA, key = authenticator, who = principal(userId)) => {
    const options = await manage.registrationOptions(ORG, who);
    return manage.register(ORG, who, { response: key.create(options) }, request);
  };
  return {
    manage,
    signIn,
    stores,
    calls,
    told,
    issued,
    users,
    principal,
    authenticator,
    register,
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
    setOrg: (status: Org['status']) => {
      org = { ...org, status };
    },
  };
}

const refused = { code: 'passkey-sign-in-refused', status: 401 };

describe('registering a passkey', () => {
  it('keeps a verified credential, audits it without the key, and signs the user out everywhere for a first second factor', async () => {
    const { register, stores, calls } = setUp();
    const registered = await register();
    expect(registered).toMatchObject({
      name: 'Passkey',
      transports: ['internal'],
      signedOut: true,
      lastUsedAt: null,
    });
    expect(calls).toEqual(['revokeAll', 'signOut']);
    const [kept] = stores.passkeys.values();
    expect(kept?.userId).toBe(ADA);
    const audit = stores.audits.find((a) => a.action === 'mfa.passkey_added');
    expect(audit).toBeDefined();
    expect(JSON.stringify(stores.audits)).not.toContain(String(kept?.publicKey));
    expect(JSON.stringify(stores.audits)).not.toContain(String(kept?.credentialId));
  });

  it('tells the user a passkey was added, and plants none from an old session of a user with no factor', async () => {
    const { register, told, principal, stores } = setUp();
    await register();
    expect(told).toEqual([`${ADA}: A passkey ("Passkey")`]);
    // A session signed in days ago (a lifted refresh token) of a user with no second factor.
    const other = setUp();
    await expect(
      other.register(ADA, other.authenticator, principal(ADA, { authAgeSeconds: 3 * 86_400 })),
    ).rejects.toMatchObject({
      code: 'mfa-required',
    });
    expect(other.stores.passkeys.size).toBe(0);
    expect(other.told).toEqual([]);
    expect(stores.passkeys.size).toBe(1);
  });

  it('asks for a discoverable credential with user verification, and excludes the user’s own', async () => {
    const { manage, register, principal } = setUp();
    await register();
    const options = await manage.registrationOptions(ORG, principal(ADA, { mfa: true }));
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      userVerification: 'required',
    });
    expect(options.rp.id).toBe('hub.example.com');
    expect(options.excludeCredentials).toHaveLength(1);
    expect(options.attestation).toBe('none');
  });

  it('refuses an answer made for another origin or another relying party', async () => {
    const { manage, principal, authenticator } = setUp();
    const me = principal(ADA);
    for (const ceremony of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const options = await manage.registrationOptions(ORG, me);
      await expect(
        manage.register(ORG, me, { response: authenticator.create(options, ceremony) }, request),
      ).rejects.toMatchObject({ status: 400 });
    }
  });

  it('refuses an answer without user verification', async () => {
    const { manage, principal, authenticator } = setUp();
    const options = await manage.registrationOptions(ORG, principal(ADA));
    await expect(
      manage.register(
        ORG,
        principal(ADA),
        { response: authenticator.create(options, { userVerified: false }) },
        request,
      ),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('spends the challenge once, refuses it once expired, and binds it to its user', async () => {
    const { manage, principal, authenticator, advance } = setUp();
    const options = await manage.registrationOptions(ORG, principal(ADA));
    const answer = authenticator.create(options);
    // Bob cannot answer Ada's challenge: he has none of his own under way.
    await expect(manage.register(ORG, principal(BOB), { response: answer }, request)).rejects.toMatchObject({
      status: 400,
    });
    await manage.register(ORG, principal(ADA), { response: answer }, request);
    await expect(
      manage.register(ORG, principal(ADA, { mfa: true }), { response: answer }, request),
    ).rejects.toMatchObject({ status: 400 });

    const late = await manage.registrationOptions(ORG, principal(ADA, { mfa: true }));
    advance(301);
    await expect(
      manage.register(ORG, principal(ADA, { mfa: true }), { response: authenticator.create(late) }, request),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('takes a recent second factor to add another factor, and does not sign the user out for it', async () => {
    const { manage, register, principal, calls, users } = setUp();
    users.set(ADA, userOf(ADA, { totpEnabledAt: '2026-12-01T00:00:00.000Z' }));
    await expect(manage.registrationOptions(ORG, principal(ADA))).rejects.toMatchObject({
      code: 'mfa-required',
    });
    await expect(
      manage.registrationOptions(ORG, principal(ADA, { mfa: true, authAgeSeconds: 16 * 60 })),
    ).rejects.toMatchObject({ code: 'mfa-required' });
    const added = await register(ADA, undefined, principal(ADA, { mfa: true }));
    expect(added.signedOut).toBe(false);
    expect(calls).toEqual([]);
  });

  it('holds at most ten passkeys per user', async () => {
    const { manage, register, principal } = setUp();
    const me = principal(ADA, { mfa: true });
    await register();
    for (let i = 1; i < 10; i += 1) await register(ADA, new SoftwareAuthenticator({ origin: ORIGIN }), me);
    await expect(manage.registrationOptions(ORG, me)).rejects.toMatchObject({ status: 409 });
  });

  it('says passkeys are not configured where the installation has no relying party', async () => {
    const { manage, signIn, principal } = setUp({ relyingParty: null });
    await expect(manage.registrationOptions(ORG, principal(ADA))).rejects.toMatchObject({
      status: 404,
      message: expect.stringMatching(/not configured/),
    });
    await expect(signIn.options()).rejects.toMatchObject({ status: 404 });
  });

  it('refuses an API key: only a signed-in user has passkeys', async () => {
    const { manage } = setUp();
    const key: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'k',
      orgId: ORG,
      role: 'owner',
    };
    await expect(manage.registrationOptions(ORG, key)).rejects.toMatchObject({ status: 403 });
  });
});

describe('removing passkeys', () => {
  it('removes one after a recent second factor, never the last where the org requires one', async () => {
    const { manage, register, principal, stores } = setUp({ mfaRequired: true });
    const first = await register();
    await expect(manage.remove(ORG, principal(ADA), first.id, request)).rejects.toMatchObject({
      code: 'mfa-required',
    });
    await expect(manage.remove(ORG, principal(ADA, { mfa: true }), first.id, request)).rejects.toMatchObject({
      status: 409,
    });
    await register(ADA, new SoftwareAuthenticator({ origin: ORIGIN }), principal(ADA, { mfa: true }));
    await manage.remove(ORG, principal(ADA, { mfa: true }), first.id, request);
    expect((await manage.list(ORG, principal(ADA))).items).toHaveLength(1);
    expect(stores.audits.map((a) => a.action)).toContain('mfa.passkey_removed');
    // Another user's passkey is none of the caller's.
    const [left] = (await manage.list(ORG, principal(ADA))).items;
    await expect(
      manage.remove(ORG, principal(BOB, { mfa: true }), String(left?.id), request),
    ).rejects.toMatchObject({
      status: 404,
    });
  });

  it("an admin's reset removes every passkey of the user", async () => {
    const { manage, register, principal, users } = setUp();
    await register();
    await register(ADA, new SoftwareAuthenticator({ origin: ORIGIN }), principal(ADA, { mfa: true }));
    const admin = { ...principal(BOB), role: 'admin' } as Principal;
    expect(await manage.removeAllOf(users.get(ADA) as User, admin, request, new Date())).toBe(2);
    expect((await manage.list(ORG, principal(ADA))).items).toEqual([]);
  });
});

describe('signing in with a passkey', () => {
  it('issues the session with amr hwk user, moves the counter on, and audits the sign-in', async () => {
    const { signIn, register, authenticator, issued, stores } = setUp();
    await register();
    const options = await signIn.options();
    expect(options).toMatchObject({ rpId: 'hub.example.com', userVerification: 'required' });
    expect(options.allowCredentials ?? []).toEqual([]);
    const session = await signIn.verify(authenticator.get(options), request);
    expect(session.idToken).toBe('id');
    expect(issued).toEqual([{ userId: ADA, amr: ['hwk', 'user'] }]);
    expect([...stores.passkeys.values()][0]).toMatchObject({ counter: 1, lastUsedAt: expect.any(String) });
    expect(stores.audits.map((a) => a.action)).toContain('passkey.signed_in');
  });

  it('refuses an assertion for another origin or relying party, without user verification, or for a spent or expired challenge — each alike', async () => {
    const { signIn, register, authenticator, advance, issued } = setUp();
    await register();
    const attempts = [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { userVerified: false }];
    for (const ceremony of attempts) {
      const options = await signIn.options();
      await expect(signIn.verify(authenticator.get(options, ceremony), request)).rejects.toMatchObject(
        refused,
      );
    }
    // Replayed: the same assertion twice.
    const options = await signIn.options();
    const answer = authenticator.get(options);
    await signIn.verify(answer, request);
    await expect(signIn.verify(answer, request)).rejects.toMatchObject(refused);
    // A challenge the hub never issued, and an expired one.
    await expect(
      signIn.verify(authenticator.get(options, { challenge: 'A'.repeat(43) }), request),
    ).rejects.toMatchObject(refused);
    const late = await signIn.options();
    advance(301);
    await expect(signIn.verify(authenticator.get(late), request)).rejects.toMatchObject(refused);
    expect(issued).toHaveLength(1);
  });

  it('refuses a counter that did not move on (a cloned authenticator)', async () => {
    const { signIn, register, authenticator } = setUp();
    await register();
    await signIn.verify(authenticator.get(await signIn.options(), { counter: 5 }), request);
    const error = await signIn
      .verify(authenticator.get(await signIn.options(), { counter: 5 }), request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasskeySignInRefusedError);
    expect((error as PasskeySignInRefusedError).reason).toBe('counter_regressed');
    await expect(
      signIn.verify(authenticator.get(await signIn.options(), { counter: 3 }), request),
    ).rejects.toMatchObject(refused);
  });

  it('accepts an authenticator that keeps no counter (zero each time)', async () => {
    const { signIn, register, authenticator } = setUp({ counterStep: 0 });
    await register();
    await signIn.verify(authenticator.get(await signIn.options()), request);
    await expect(signIn.verify(authenticator.get(await signIn.options()), request)).resolves.toBeDefined();
  });

  it("refuses another user's credential id on one's own signature, and a user handle that is not the passkey's user", async () => {
    const { signIn, register, authenticator } = setUp();
    await register(ADA);
    const bobs = new SoftwareAuthenticator({ origin: ORIGIN });
    await register(BOB, bobs);
    const bobCredential = String(bobs.credentialIds[0]);
    const forged = authenticator.get(await signIn.options());
    await expect(
      signIn.verify({ ...forged, id: bobCredential, rawId: bobCredential }, request),
    ).rejects.toMatchObject(refused);
    const bobsAnswer = bobs.get(await signIn.options());
    const adaHandle = String(authenticator.get(await signIn.options()).response.userHandle);
    await expect(
      signIn.verify({ ...bobsAnswer, response: { ...bobsAnswer.response, userHandle: adaHandle } }, request),
    ).rejects.toMatchObject(refused);
  });

  it('refuses a deactivated user and a suspended org', async () => {
    const { signIn, register, authenticator, users, setOrg, issued } = setUp();
    await register();
    users.set(ADA, userOf(ADA, { status: 'deactivated' }));
    await expect(signIn.verify(authenticator.get(await signIn.options()), request)).rejects.toMatchObject(
      refused,
    );
    users.set(ADA, userOf(ADA));
    setOrg('suspended');
    await expect(signIn.verify(authenticator.get(await signIn.options()), request)).rejects.toMatchObject(
      refused,
    );
    expect(issued).toEqual([]);
  });

  it('refuses an unknown credential with the same answer', async () => {
    const { signIn } = setUp();
    const stranger = new SoftwareAuthenticator({ origin: ORIGIN });
    stranger.create({
      challenge: 'x',
      rp: { id: 'hub.example.com', name: 'Hub' },
      user: { id: 'dXNy', name: 'x', displayName: 'x' },
      pubKeyCredParams: [],
    });
    await expect(signIn.verify(stranger.get(await signIn.options()), request)).rejects.toMatchObject(refused);
  });
});

describe('the relying party', () => {
  it('takes https origins on its domain, and http only on localhost', () => {
    expect(
      parseRelyingParty({
        rpId: 'Hub.Example.com',
        origins: 'https://hub.example.com, https://app.hub.example.com',
      }),
    ).toEqual({
      rpId: 'hub.example.com',
      rpName: 'Integration Hub',
      origins: ['https://hub.example.com', 'https://app.hub.example.com'],
    });
    expect(parseRelyingParty({ rpId: 'localhost', origins: 'http://localhost:3000' }).origins).toEqual([
      'http://localhost:3000',
    ]);
    expect(() => parseRelyingParty({ rpId: 'hub.example.com', origins: 'http://hub.example.com' })).toThrow(
      /https/,
    );
    expect(() => parseRelyingParty({ rpId: 'hub.example.com', origins: 'https://evil.example' })).toThrow(
      /not on hub.example.com/,
    );
    expect(() =>
      parseRelyingParty({ rpId: 'https://hub.example.com', origins: 'https://hub.example.com' }),
    ).toThrow(/domain name/);
  });
});
