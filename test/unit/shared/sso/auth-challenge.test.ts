import {
  CUSTOM_CHALLENGE,
  defineAuthChallenge,
  makeCreateAuthChallenge,
  makeVerifyAuthChallenge,
} from '../../../../shared/sso/auth-challenge';
import {
  newSignInGrant,
  type SignInGrant,
  type SignInGrantStore,
} from '../../../../shared/sso/sign-in-grants';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const NOW = new Date('2026-12-03T12:00:00.000Z');

/** Grants in a map, with the store's single-use semantics. */
class Grants implements SignInGrantStore {
  readonly items = new Map<string, SignInGrant>();
  async put(grant: SignInGrant) {
    this.items.set(grant.username, grant);
  }
  async find(username: string) {
    return this.items.get(username) ?? null;
  }
  async consume(username: string, grantId: string) {
    if (this.items.get(username)?.grantId !== grantId) return false;
    this.items.delete(username);
    return true;
  }
}

const attributes = { email: 'Ada@Acme.test', email_verified: 'true', 'custom:org_id': ORG };
const made = (overrides: Partial<{ orgId: string; email: string }> = {}, now = NOW) =>
  newSignInGrant(
    {
      orgId: overrides.orgId ?? ORG,
      userId: 'usr_1',
      email: overrides.email ?? 'ada@acme.test',
      amr: ['ext', 'mfa'],
      connectionId: 'sso_1',
    },
    now,
  );

describe('Define Auth Challenge', () => {
  it('asks one custom challenge first', () => {
    expect(defineAuthChallenge({ session: [] })).toEqual({
      challengeName: CUSTOM_CHALLENGE,
      issueTokens: false,
      failAuthentication: false,
    });
  });

  it('issues tokens after one right answer', () => {
    expect(
      defineAuthChallenge({ session: [{ challengeName: CUSTOM_CHALLENGE, challengeResult: true }] }),
    ).toEqual({ issueTokens: true, failAuthentication: false });
  });

  it('fails a wrong answer, a second attempt, another challenge and an unknown user', () => {
    const failed = { issueTokens: false, failAuthentication: true };
    expect(
      defineAuthChallenge({ session: [{ challengeName: CUSTOM_CHALLENGE, challengeResult: false }] }),
    ).toEqual(failed);
    expect(
      defineAuthChallenge({
        session: [
          { challengeName: CUSTOM_CHALLENGE, challengeResult: false },
          { challengeName: CUSTOM_CHALLENGE, challengeResult: true },
        ],
      }),
    ).toEqual(failed);
    expect(defineAuthChallenge({ session: [{ challengeName: 'SRP_A', challengeResult: true }] })).toEqual(
      failed,
    );
    expect(defineAuthChallenge({ session: [], userNotFound: true })).toEqual(failed);
  });
});

describe('Create Auth Challenge', () => {
  it("names the user's pending grant privately and shows nothing publicly", async () => {
    const grants = new Grants();
    const { grant } = made();
    await grants.put(grant);
    const create = makeCreateAuthChallenge({ grants });
    expect(await create({ userAttributes: attributes })).toEqual({
      publicChallengeParameters: {},
      privateChallengeParameters: { grantId: grant.grantId },
      challengeMetadata: expect.any(String),
    });
  });

  it('names no grant for a user without one', async () => {
    const create = makeCreateAuthChallenge({ grants: new Grants() });
    expect((await create({ userAttributes: attributes })).privateChallengeParameters).toEqual({
      grantId: '',
    });
  });
});

describe('Verify Auth Challenge', () => {
  const setUp = async (grantOverrides = {}, now = NOW) => {
    const grants = new Grants();
    const { grant, secret } = made(grantOverrides, now);
    await grants.put(grant);
    const verify = makeVerifyAuthChallenge({ grants, now: () => NOW });
    const answer = (challengeAnswer: string, grantId = grant.grantId, userAttributes = attributes) =>
      verify({ userAttributes, privateChallengeParameters: { grantId }, challengeAnswer });
    return { grants, grant, secret, answer };
  };

  it('accepts the secret once: the grant is spent, and a replay is refused', async () => {
    const { grants, grant, secret, answer } = await setUp();
    expect(await answer(secret)).toMatchObject({ grantId: grant.grantId, amr: ['ext', 'mfa'] });
    expect(grants.items.size).toBe(0);
    expect(await answer(secret)).toBeNull();
  });

  it('refuses a wrong secret and keeps the grant for the real sign-in', async () => {
    const { grants, secret, answer } = await setUp();
    expect(await answer(`${secret}x`)).toBeNull();
    expect(await answer('')).toBeNull();
    expect(grants.items.size).toBe(1);
    expect(await answer(secret)).not.toBeNull();
  });

  it('refuses a grant other than the one Create named', async () => {
    const { secret, answer } = await setUp();
    expect(await answer(secret, 'another-grant')).toBeNull();
    expect(await answer(secret, '')).toBeNull();
  });

  it("refuses a grant for another org than the pool user's", async () => {
    const { secret, answer, grant } = await setUp({ orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E3' });
    expect(await answer(secret, grant.grantId)).toBeNull();
  });

  it('refuses the secret of a grant made for another user', async () => {
    const { secret, grant, answer } = await setUp({ email: 'eve@acme.test' });
    expect(
      await answer(secret, grant.grantId, { ...attributes, email: 'eve@acme.test', 'custom:org_id': ORG }),
    ).not.toBeNull();
    const other = await setUp({ email: 'eve@acme.test' });
    // Ada's pool user finds no grant of Eve's.
    expect(await other.answer(other.secret, other.grant.grantId, attributes)).toBeNull();
  });

  it('refuses an expired grant', async () => {
    const { secret, answer } = await setUp({}, new Date(NOW.getTime() - 121_000));
    expect(await answer(secret)).toBeNull();
  });
});
