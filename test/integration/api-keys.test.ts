import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, localCredentials, startDynamoDbLocal } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import { DynamoDbAccessStore } from '../../shared/adapters/dynamodb/dynamodb-access-store';
import { DynamoDbApiKeyStore } from '../../shared/adapters/dynamodb/dynamodb-api-key-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeRoleGuard } from '../../shared/authz/role-guard';
import type { TablesConfig } from '../../shared/config/config';
import { NotFoundError, QuotaExceededError } from '../../shared/errors';
import { makeCreateApiKey, makeRevokeApiKey, makeRotateApiKey } from '../../shared/identity/create-api-key';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { PLANS } from '../../shared/tenancy/plans';
import { platformAdmin } from '../support/api-events';

/** DynamoDB Local alone: these stores need nothing else. */
let aws: { docs: DynamoDBDocumentClient; tables: TablesConfig; stop: () => Promise<void> };
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-keys-it-'));
  const dynamo = await startDynamoDbLocal(dir);
  await ensureTables(dynamo.endpoint);
  const ddb = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  aws = {
    docs: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
    tables: { domainTable: localNames.table('domain'), auditTable: localNames.table('audit') },
    stop: async () => {
      ddb.destroy();
      await dynamo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
