import { AMR_CLAIM } from '../../../../shared/identity/amr';
import type { PoolAccountBindings } from '../../../../shared/identity/pool-accounts';
import { makeTokenClaims } from '../../../../shared/identity/token-claims';
import {
  newSignInGrant,
  SIGN_IN_GRANT_METADATA,
  type SignInGrant,
} from '../../../../shared/sso/sign-in-grants';
import type { Org } from '../../../../shared/tenancy/org';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const NOW = new Date('2026-12-03T12:00:00.000Z');
const SUB = '5f0c2a4e-1b7d-4c89-9e3a-2d6f8b1c0a97';
const attributes = { email: 'Ada@Acme.test', email_verified: 'true', 'custom:org_id': ORG, sub: SUB };

/** Pool account bindings in memory, as the domain table keeps them (one user per account, put if absent). */
function memoryAccounts(
  initial: Record<string, string> = {},
): PoolAccountBindings & { bound: Map<string, string> } {
  const bound = new Map(Object.entries(initial));
  return {
    bound,
    userOf: async (orgId, sub) => bound.get(`${orgId}/${sub}`) ?? null,
    bind: async (orgId, sub, userId) => {
      const key = `${orgId}/${sub}`;
      if (!bound.has(key)) bound.set(key, userId);
      return bound.get(key) as string;
    },
  };
}

function claimsWith(
  opts: { user?: Partial<User>; grant?: SignInGrant | null; accounts?: PoolAccountBindings } = {},
) {
  const user = {
    id: USER,
    orgId: ORG,
    email: 'ada@acme.test',
    name: 'Ada',
    role: 'member',
    status: 'active',
    createdAt: '2026-11-27T10:00:00.000Z',
    createdBy: 'key_1',
    ...opts.user,
  } as User;
  return makeTokenClaims({
    orgs: { get: async () => ({ id: ORG, status: 'active' }) as Org },
    users: { findByEmail: async () => user },
    grants: { find: async () => opts.grant ?? null },
    accounts: opts.accounts ?? memoryAccounts(),
    clock: { now: () => NOW },
  });
}

const spentGrant = (amr: string[], spentAt = new Date(NOW.getTime() - 1000), userId = USER) => ({
  ...newSignInGrant({ orgId: ORG, userId, email: 'ada@acme.test', amr, connectionId: 'sso_1' }, NOW).grant,
  secretHash: '',
  spentAt,
});

describe('how a token says its sign-in authenticated (custom:amr)', () => {
  it('says a password, and a second factor only for a user with an authenticator app enrolled', async () => {
    expect((await claimsWith()({ userAttributes: attributes }))[AMR_CLAIM]).toBe('pwd');
    const enrolled = claimsWith({ user: { totpEnabledAt: '2026-12-01T00:00:00.000Z' } });
    expect((await enrolled({ userAttributes: attributes }))[AMR_CLAIM]).toBe('pwd otp');
  });

  it('gives an SSO sign-in the amr of the grant its issuer names, spent moments ago for this user', async () => {
    const grant = spentGrant(['ext', 'mfa']);
    const claims = await claimsWith({ grant })({
      userAttributes: attributes,
      clientMetadata: { [SIGN_IN_GRANT_METADATA]: grant.grantId },
    });
    expect(claims[AMR_CLAIM]).toBe('ext mfa');
  });

  it('refuses a sign-in naming another grant, an old one, one of another user, or one not spent', async () => {
    const grant = spentGrant(['ext', 'mfa']);
    const named = { userAttributes: attributes, clientMetadata: { [SIGN_IN_GRANT_METADATA]: grant.grantId } };
    await expect(
      claimsWith({ grant })({ ...named, clientMetadata: { [SIGN_IN_GRANT_METADATA]: 'guessed' } }),
    ).rejects.toThrow(/not just spent/);
    await expect(
      claimsWith({ grant: spentGrant(['ext', 'mfa'], new Date(NOW.getTime() - 600_000)) })({
        ...named,
        clientMetadata: { [SIGN_IN_GRANT_METADATA]: grant.grantId },
      }),
    ).rejects.toThrow(/not just spent/);
    const other = spentGrant(['ext', 'mfa'], undefined, 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E3');
    await expect(
      claimsWith({ grant: other })({ ...named, clientMetadata: { [SIGN_IN_GRANT_METADATA]: other.grantId } }),
    ).rejects.toThrow(/not just spent/);
    const { spentAt: _spent, ...pending } = grant;
    await expect(claimsWith({ grant: pending })(named)).rejects.toThrow(/not just spent/);
  });

  it('claims no second factor on a refresh that may be an SSO session or a password one; a password session says a password', async () => {
    const grant = spentGrant(['ext', 'mfa'], new Date(NOW.getTime() - 3_600_000));
    // The pool does not say which session refreshes: a phished password's session must not borrow
    // the IdP's second factor, nor an SSO session an enrolled app's.
    expect((await claimsWith({ grant })({ userAttributes: attributes, refresh: true }))[AMR_CLAIM]).toBe(
      'ext',
    );
    const enrolled = claimsWith({ grant, user: { totpEnabledAt: '2026-12-01T00:00:00.000Z' } });
    expect((await enrolled({ userAttributes: attributes, refresh: true }))[AMR_CLAIM]).toBe('ext');
    expect((await claimsWith()({ userAttributes: attributes, refresh: true }))[AMR_CLAIM]).toBe('pwd');
    // A sign-in naming no grant is a password one, whatever grant the user once spent.
    expect((await claimsWith({ grant })({ userAttributes: attributes }))[AMR_CLAIM]).toBe('pwd');
  });
});

describe('a user pool account signs in as the one hub user its first token was for', () => {
  it('binds the account on its first token and keeps giving it that user', async () => {
    const accounts = memoryAccounts();
    const claims = await claimsWith({ accounts })({ userAttributes: attributes });
    expect(claims['custom:user_id']).toBe(USER);
    expect(accounts.bound.get(`${ORG}/${SUB}`)).toBe(USER);
    await expect(
      claimsWith({ accounts })({ userAttributes: attributes, refresh: true }),
    ).resolves.toMatchObject({
      'custom:user_id': USER,
    });
  });

  it("refuses the old account of an address now another user's, on a sign-in and on a refresh", async () => {
    // Ada's address was given to a new hub user: her old pool account (and its password) is not theirs.
    const accounts = memoryAccounts({ [`${ORG}/${SUB}`]: USER });
    const newcomer = { id: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3F9', email: 'ada@acme.test' };
    await expect(claimsWith({ accounts, user: newcomer })({ userAttributes: attributes })).rejects.toThrow(
      /made for another hub user/,
    );
    await expect(
      claimsWith({ accounts, user: newcomer })({ userAttributes: attributes, refresh: true }),
    ).rejects.toThrow(/made for another hub user/);
    expect(accounts.bound.get(`${ORG}/${SUB}`)).toBe(USER);
  });

  it('refuses a sign-in that names no pool account', async () => {
    const { sub: _sub, ...withoutSub } = attributes;
    await expect(claimsWith()({ userAttributes: withoutSub })).rejects.toThrow(/no user pool account/);
  });
});
