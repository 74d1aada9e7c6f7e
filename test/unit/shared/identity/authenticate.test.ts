import type { JWK } from 'jose';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { ApiKeyGrant } from '../../../../shared/identity/api-key';
import { generateApiKey, hashApiKey } from '../../../../shared/identity/api-key-format';
import { makeAuthenticator } from '../../../../shared/identity/authenticate';
import { generateScimToken } from '../../../../shared/identity/scim-token-format';
import type { ApiKeyStore } from '../../../../shared/ports/stores';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9';
const now = new Date('2026-11-27T12:00:00Z');

class KeyTable implements Pick<ApiKeyStore, 'findByHash'> {
  readonly grants = new Map<string, ApiKeyGrant>();
  lookups = 0;
  async findByHash(hash: string) {
    this.lookups++;
    return this.grants.get(hash) ?? null;
  }
}

async function issuer() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' } as JWK],
  });
  const sign = (claims: Record<string, unknown>, audience = 'hub') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('local')
      .setAudience(audience)
      .setSubject('usr_1')
      .setExpirationTime('5m')
      .sign(privateKey);
  const verifyJwt = async (token: string) =>
    (await jwtVerify(token, jwks, { issuer: 'local', audience: 'hub' })).payload as Record<string, unknown>;
  return { sign, verifyJwt };
}

describe('authenticate', () => {
  it('refuses a SCIM token on the API before any read or JWT check', async () => {
    const keys = new KeyTable();
    let verified = 0;
    const authenticate = makeAuthenticator({
      keys,
      verifyJwt: async () => {
        verified++;
        return { sub: 'x' };
      },
      clock: { now: () => now },
    });
    await expect(authenticate(`Bearer ${generateScimToken()}`)).rejects.toThrow(
      'A SCIM token is accepted only by the SCIM service at /scim/v2',
    );
    expect(keys.lookups).toBe(0);
    expect(verified).toBe(0);
  });

  it('resolves an org API key to its org and role', async () => {
    const keys = new KeyTable();
    const key = generateApiKey();
    keys.grants.set(hashApiKey(key), {
      scope: 'org',
      keyId: 'key_1',
      name: 'ci',
      orgId: ORG,
      role: 'admin',
      expiresAt: null,
    });
    const auth = makeAuthenticator({ keys, verifyJwt: async () => ({}), clock: { now: () => now } });
    await expect(auth(`Bearer ${key}`)).resolves.toEqual({
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'ci',
      orgId: ORG,
      role: 'admin',
    });
  });

  it('refuses a mistyped key without reading the store', async () => {
    const keys = new KeyTable();
    const auth = makeAuthenticator({ keys, verifyJwt: async () => ({}), clock: { now: () => now } });
    const key = generateApiKey();
    await expect(auth(`Bearer ${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`)).rejects.toThrow(
      /malformed/,
    );
    expect(keys.lookups).toBe(0);
  });

  it('refuses unknown and expired keys', async () => {
    const keys = new KeyTable();
    const expired = generateApiKey();
    keys.grants.set(hashApiKey(expired), {
      scope: 'org',
      keyId: 'key_2',
      name: 'old',
      orgId: ORG,
      role: 'member',
      expiresAt: '2026-11-01T00:00:00Z',
    });
    const auth = makeAuthenticator({ keys, verifyJwt: async () => ({}), clock: { now: () => now } });
    await expect(auth(`Bearer ${generateApiKey()}`)).rejects.toThrow(/not valid/);
    await expect(auth(`Bearer ${expired}`)).rejects.toThrow(/expired/);
  });

  it('refuses a missing or non-bearer Authorization header', async () => {
    const auth = makeAuthenticator({
      keys: new KeyTable(),
      verifyJwt: async () => ({}),
      clock: { now: () => now },
    });
    await expect(auth(undefined)).rejects.toThrow(/Bearer/);
    await expect(auth('Basic dXNlcjpwYXNz')).rejects.toThrow(/Bearer/);
  });

  it('resolves a verified JWT to the hub user the trigger mapped, and platform admins from their group', async () => {
    const { sign, verifyJwt } = await issuer();
    const auth = makeAuthenticator({ keys: new KeyTable(), verifyJwt, clock: { now: () => now } });
    const signedIn = Math.floor(now.getTime() / 1000) - 60;
    const user = await auth(
      `Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'viewer', 'custom:user_id': USER, email: 'a@acme.test', auth_time: signedIn })}`,
    );
    // The name is not the token's email: the gate names the principal from the hub user.
    expect(user).toEqual({
      kind: 'org_member',
      type: 'user',
      id: USER,
      name: USER,
      orgId: ORG,
      role: 'viewer',
      mfa: false,
      authTime: signedIn,
      // A token whose amr says nothing names no sign-in method.
      signInMethod: 'unknown',
    });
    const withMfa = await auth(
      `Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2', 'custom:user_id': USER, auth_time: signedIn, amr: ['pwd', 'mfa'] })}`,
    );
    expect(withMfa).toMatchObject({
      role: 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
      mfa: true,
      signInMethod: 'password+mfa',
    });
    const admin = await auth(
      `Bearer ${await sign({ 'cognito:groups': ['platform-admins'], email: 'ops@hub.test' })}`,
    );
    expect(admin).toEqual({ kind: 'platform_admin', type: 'user', id: 'usr_1', name: 'ops@hub.test' });
  });

  it('refuses an org token that maps to no hub user, or does not say when its session began', async () => {
    const { sign, verifyJwt } = await issuer();
    const auth = makeAuthenticator({ keys: new KeyTable(), verifyJwt, clock: { now: () => now } });
    const signedIn = Math.floor(now.getTime() / 1000);
    // What the trigger used to mint for an unmapped sign-in: the org and a default role, no user.
    await expect(
      auth(`Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'member', auth_time: signedIn })}`),
    ).rejects.toThrow(/no user of the organisation/);
    await expect(
      auth(
        `Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'member', 'custom:user_id': 'someone@acme.test', auth_time: signedIn })}`,
      ),
    ).rejects.toThrow(/no user of the organisation/);
    await expect(
      auth(`Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'member', 'custom:user_id': USER })}`),
    ).rejects.toThrow(/auth_time/);
  });

  it('refuses a JWT for another audience, and one without an org', async () => {
    const { sign, verifyJwt } = await issuer();
    const auth = makeAuthenticator({ keys: new KeyTable(), verifyJwt, clock: { now: () => now } });
    await expect(
      auth(`Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'owner' }, 'other')}`),
    ).rejects.toThrow(/not valid/);
    await expect(auth(`Bearer ${await sign({ 'custom:role': 'owner' })}`)).rejects.toThrow(/organisation/);
    await expect(
      auth(`Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'emperor' })}`),
    ).rejects.toThrow(/organisation/);
  });
});
