import { makeCredentialExpiry } from '../../../../shared/realtime/revalidate';

const orgMember = {
  kind: 'org_member' as const,
  type: 'user' as const,
  id: 'usr_1',
  name: 'Ada',
  orgId: 'org_1',
  role: 'viewer',
};
const jwt = (payload: object) =>
  `Bearer ${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

describe("a real-time connection's credential expiry", () => {
  it("is a (verified) JWT's exp, and none for a token without one", async () => {
    const expiry = makeCredentialExpiry({ keys: { get: async () => null } });
    expect(await expiry(jwt({ exp: 1_800_000_000 }), orgMember)).toEqual(new Date(1_800_000_000_000));
    expect(await expiry(jwt({ sub: 'x' }), orgMember)).toBeNull();
    expect(await expiry(undefined, orgMember)).toBeNull();
  });
});
