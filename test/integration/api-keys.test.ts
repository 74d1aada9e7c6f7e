import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccessStore } from '../../shared/adapters/dynamodb/dynamodb-access-store';
import { DynamoDbApiKeyStore } from '../../shared/adapters/dynamodb/dynamodb-api-key-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeRoleGuard } from '../../shared/authz/role-guard';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  QuotaExceededError,
  UnauthenticatedError,
  ValidationError,
} from '../../shared/errors';
import { hashApiKey } from '../../shared/identity/api-key-format';
import { makeAuthenticator } from '../../shared/identity/authenticate';
import { makeCreateApiKey, makeRevokeApiKey, makeRotateApiKey } from '../../shared/identity/create-api-key';
import {
  makeCreatePlatformKey,
  makeListPlatformKeys,
  makeRevokePlatformKey,
} from '../../shared/identity/platform-keys';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { PLANS } from '../../shared/tenancy/plans';
import { member, platformAdmin } from '../support/api-events';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

/** DynamoDB Local alone: these stores need nothing else. */
let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-it', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };

function keysOfAFreeOrg(slug: string) {
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const keys = new DynamoDbApiKeyStore(aws.docs, aws.tables);
  const mayGrant = makeRoleGuard(new DynamoDbAccessStore(aws.docs, aws.tables));
  const create = makeCreateApiKey({ orgs, keys, clock, mayGrant });
  const revoke = makeRevokeApiKey({ keys, clock, mayGrant });
  const rotate = makeRotateApiKey({ keys, clock, mayGrant });
  return {
    org: () => makeCreateOrg({ orgs, clock })({ name: slug, slug, plan: 'free' }, platformAdmin, request),
    create: (orgId: string, name: string) => create(orgId, { name, role: 'member' }, platformAdmin, request),
    revoke: (orgId: string, keyId: string) => revoke(orgId, keyId, platformAdmin, request),
    rotate: (orgId: string, keyId: string) => rotate(orgId, keyId, 60, platformAdmin, request),
  };
}

describe("the plan's API key limit", () => {
  const limit = PLANS.free.apiKeys;

  it('gets a place back when a key is revoked, and only one for revoking it twice', async () => {
    const k = keysOfAFreeOrg('key-limit-it');
    const org = await k.org();
    const created = [];
    for (let i = 0; i < limit; i++) created.push((await k.create(org.id, `k${i}`)).apiKey);
    await expect(k.create(org.id, 'one too many')).rejects.toBeInstanceOf(QuotaExceededError);

    const first = created[0]?.id ?? '';
    await k.revoke(org.id, first);
    await expect(k.revoke(org.id, first)).rejects.toBeInstanceOf(NotFoundError);
    await k.create(org.id, 'in the freed place');
    await expect(k.create(org.id, 'no second place')).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('still revokes a key the count never included (issued before keys were counted), without going below zero', async () => {
    const k = keysOfAFreeOrg('key-uncounted-it');
    const org = await k.org();
    const { apiKey } = await k.create(org.id, 'old');
    await aws.docs.send(
      new UpdateCommand({
        TableName: aws.tables.domainTable,
        Key: { PK: `T#${org.id}#USAGE`, SK: 'TOTALS' },
        UpdateExpression: 'SET apiKeys = :zero',
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
    await k.revoke(org.id, apiKey.id);
    const totals = await aws.docs.send(
      new GetCommand({ TableName: aws.tables.domainTable, Key: { PK: `T#${org.id}#USAGE`, SK: 'TOTALS' } }),
    );
    expect(totals.Item?.apiKeys).toBe(0);
    await expect(k.revoke(org.id, apiKey.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('counts a rotated key and its successor as one place, given back when the successor is revoked', async () => {
    const k = keysOfAFreeOrg('key-rotate-it');
    const org = await k.org();
    const created = [];
    for (let i = 0; i < limit; i++) created.push((await k.create(org.id, `k${i}`)).apiKey);
    const old = created[0]?.id ?? '';
    const { apiKey: successor } = await k.rotate(org.id, old);
    await expect(k.create(org.id, 'rotation freed nothing')).rejects.toBeInstanceOf(QuotaExceededError);
    // Revoking the rotated-out key ends the overlap; its place is the successor's.
    await k.revoke(org.id, old);
    await expect(k.create(org.id, 'still at the limit')).rejects.toBeInstanceOf(QuotaExceededError);
    await k.revoke(org.id, successor.id);
    await k.create(org.id, 'in the freed place');
  });
});

describe('platform API keys', () => {
  const keys = () => new DynamoDbApiKeyStore(aws.docs, aws.tables);
  const authenticateAt = (at: Date) =>
    makeAuthenticator({
      keys: keys(),
      verifyJwt: async () => {
        throw new Error('no JWTs here');
      },
      clock: { now: () => at },
    });
  const platformTrail = async () =>
    (
      await aws.docs.send(
        new QueryCommand({
          TableName: aws.tables.auditTable,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': 'P#AUDIT#platform' },
        }),
      )
    ).Items ?? [];

  it('are issued with an expiry, listed without the key, refused once revoked, and audited in the platform trail', async () => {
    const create = makeCreatePlatformKey({ keys: keys(), clock });
    const { apiKey, key } = await create({ name: 'ops' }, platformAdmin, request);
    const days = (new Date(apiKey.expiresAt ?? 0).getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    await expect(authenticateAt(new Date())(`Bearer ${key}`)).resolves.toMatchObject({
      kind: 'platform_admin',
      id: apiKey.id,
    });

    const listed = await makeListPlatformKeys({ keys: keys() })({ limit: 100 }, platformAdmin);
    expect(listed.items).toContainEqual(apiKey);
    expect(JSON.stringify(listed)).not.toContain(hashApiKey(key));
    expect(JSON.stringify(listed)).not.toContain(key);

    const revoke = makeRevokePlatformKey({ keys: keys(), clock });
    // Another usable key first: the last one is never revoked.
    await create({ name: 'spare' }, platformAdmin, request);
    await revoke(apiKey.id, platformAdmin, request);
    await expect(authenticateAt(new Date())(`Bearer ${key}`)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(revoke(apiKey.id, platformAdmin, request)).rejects.toBeInstanceOf(NotFoundError);
    const relisted = await makeListPlatformKeys({ keys: keys() })({ limit: 100 }, platformAdmin);
    expect(relisted.items.find((k) => k.id === apiKey.id)?.status).toBe('revoked');

    const trail = (await platformTrail()).filter((r) => JSON.stringify(r.targets).includes(apiKey.id));
    expect(trail.map((r) => r.action).sort()).toEqual([
      'platform_api_key.created',
      'platform_api_key.revoked',
    ]);
    expect(JSON.stringify(trail)).not.toContain(key);
  });

  it('stop working when they expire', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { key } = await makeCreatePlatformKey({ keys: keys(), clock })(
      { name: 'short-lived', expiresAt: expiresAt.toISOString() },
      platformAdmin,
      request,
    );
    await expect(
      authenticateAt(new Date(expiresAt.getTime() - 1000))(`Bearer ${key}`),
    ).resolves.toMatchObject({
      kind: 'platform_admin',
    });
    await expect(authenticateAt(expiresAt)(`Bearer ${key}`)).rejects.toThrow('The API key has expired');
  });

  it('live a year at most, and only platform admins issue them', async () => {
    const create = makeCreatePlatformKey({ keys: keys(), clock });
    const tooFar = new Date(Date.now() + 400 * 86_400_000).toISOString();
    await expect(
      create({ name: 'forever', expiresAt: tooFar }, platformAdmin, request),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      create({ name: 'mine', expiresAt: tooFar }, member('org_01JD3Q4ZK8M7X2V9N6B5C4D3E2', 'owner'), request),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("are never granted by an org key's lookup: a platform-scoped grant written where org keys live is refused", async () => {
    const { generateApiKey } = await import('../../shared/identity/api-key-format');
    const key = generateApiKey();
    // What a bug in a key-issuing function could write with its own pointer type (P#APIKEY#…).
    await aws.docs.send(
      new PutCommand({
        TableName: aws.tables.domainTable,
        Item: {
          PK: `P#APIKEY#${hashApiKey(key)}`,
          SK: 'GRANT',
          grant: { scope: 'platform', keyId: 'key_forged', name: 'forged', expiresAt: null },
        },
      }),
    );
    await expect(authenticateAt(new Date())(`Bearer ${key}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('keep the last usable one: revoking it is refused until another exists', async () => {
    const list = makeListPlatformKeys({ keys: keys() });
    const revoke = makeRevokePlatformKey({ keys: keys(), clock });
    const { apiKey: last } = await makeCreatePlatformKey({ keys: keys(), clock })(
      { name: 'last one' },
      platformAdmin,
      request,
    );
    for (const k of (await list({ limit: 100 }, platformAdmin)).items) {
      if (k.status === 'active' && k.id !== last.id) await revoke(k.id, platformAdmin, request);
    }
    await expect(revoke(last.id, platformAdmin, request)).rejects.toBeInstanceOf(ConflictError);
    const { apiKey: next } = await makeCreatePlatformKey({ keys: keys(), clock })(
      { name: 'next' },
      platformAdmin,
      request,
    );
    await revoke(last.id, platformAdmin, request);
    expect((await list({ limit: 100 }, platformAdmin)).items.filter((k) => k.status === 'active')).toEqual([
      next,
    ]);
  });

  it('include the bootstrap key, which can be revoked like any other', async () => {
    const { generateApiKey } = await import('../../shared/identity/api-key-format');
    const { newId } = await import('../../shared/ids');
    const key = generateApiKey();
    const keyId = newId('key');
    await keys().createPlatformKey(keyId, 'platform admin (local bootstrap)', hashApiKey(key));
    await expect(authenticateAt(new Date())(`Bearer ${key}`)).resolves.toMatchObject({ id: keyId });
    await makeRevokePlatformKey({ keys: keys(), clock })(keyId, platformAdmin, request);
    await expect(authenticateAt(new Date())(`Bearer ${key}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
