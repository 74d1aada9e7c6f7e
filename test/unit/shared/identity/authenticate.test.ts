import type { JWK } from 'jose';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { ApiKeyGrant } from '../../../../shared/identity/api-key';
import { generateApiKey, hashApiKey } from '../../../../shared/identity/api-key-format';
import { makeAuthenticator } from '../../../../shared/identity/authenticate';
import type { ApiKeyStore } from '../../../../shared/ports/stores';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
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

  it('resolves a verified JWT from its org and role claims, and platform admins from their group', async () => {
    const { sign, verifyJwt } = await issuer();
    const auth = makeAuthenticator({ keys: new KeyTable(), verifyJwt, clock: { now: () => now } });
    const user = await auth(
      `Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'viewer', email: 'a@acme.test' })}`,
    );
    expect(user).toEqual({
      kind: 'org_member',
      type: 'user',
      id: 'usr_1',
      name: 'a@acme.test',
      orgId: ORG,
      role: 'viewer',
      mfa: false,
    });
    const withMfa = await auth(
      `Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2', amr: ['pwd', 'mfa'] })}`,
    );
    expect(withMfa).toMatchObject({ role: 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2', mfa: true });
    // The trigger's hub user id, when present, is who the token stands for.
    const mapped = await auth(
      `Bearer ${await sign({ 'custom:org_id': ORG, 'custom:role': 'viewer', 'custom:user_id': 'usr_9' })}`,
    );
    expect(mapped.id).toBe('usr_9');
    const admin = await auth(`Bearer ${await sign({ 'cognito:groups': ['platform-admins'] })}`);
    expect(admin.kind).toBe('platform_admin');
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
