import { DynamoDbSyncStore } from '../../shared/adapters/dynamodb/dynamodb-sync-store';
import type { Connection } from '../../shared/connectors/connection';
import { QuotaExceededError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { makeManageMappings } from '../../shared/sync/manage-sync';
import type { Org } from '../../shared/tenancy/org';
import { PLANS } from '../../shared/tenancy/plans';
import { member } from '../support/api-events';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

/**
 * What one organisation can do to the others through sync, on DynamoDB Local: hold more
 * mappings than its plan allows, or (see below) slow everyone's reconciliation.
 */

let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

const request = { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'jest' };
const clock = { now: () => new Date() };

/** An org on the free plan with a Jira and a GitHub connection, and the mapping use cases over DynamoDB Local. */
function freeOrg() {
  const orgId = newId('org');
  const jira = newId('con');
  const github = newId('con');
  const connection = (id: string, provider: string) =>
    ({
      id,
      orgId,
      provider,
      name: provider,
      status: 'active',
      config: { baseUrl: null },
    }) as unknown as Connection;
  const store = new DynamoDbSyncStore(aws.docs, aws.tables);
  const mappings = makeManageMappings({
    store,
    connections: {
      get: async (_org, id) =>
        id === jira ? connection(id, 'jira') : id === github ? connection(id, 'github') : null,
    },
    orgs: { get: async () => ({ id: orgId, plan: 'free', status: 'active' }) as unknown as Org },
    clock,
    audit: { append: async () => {} },
    scanner: { backfill: async () => Promise.reject(new Error('not here')) },
  });
  const input = (n: number) => ({
    tracker: { connectionId: jira, project: 'WEB' },
    codeHost: { connectionId: github, repository: `acme/web-${n}` },
  });
  const create = (n: number) =>
    mappings.create(
      orgId,
      input(n) as Parameters<typeof mappings.create>[1],
      member(orgId, 'admin'),
      request,
    );
  return { orgId, mappings, create, store };
}

describe('mappings per org are a plan limit', () => {
  const limit = PLANS.free.mappings;

  it('refuses a mapping beyond the plan with 429, and takes one again after a delete', async () => {
    const { orgId, mappings, create } = freeOrg();
    const made = [];
    for (let n = 0; n < limit; n += 1) made.push(await create(n));
    const refused = await create(limit).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ status: 429, message: `The plan allows ${limit} sync mappings` });
    expect((await mappings.list(orgId)).items).toHaveLength(limit);

    await mappings.remove(orgId, String(made[0]?.id), member(orgId, 'admin'), request);
    await expect(create(limit)).resolves.toMatchObject({ orgId });
    await expect(create(limit + 1)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('cannot be exceeded by concurrent creates', async () => {
    const { orgId, mappings, create } = freeOrg();
    const results = await Promise.allSettled(Array.from({ length: limit + 4 }, (_, n) => create(n)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(limit);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
    expect((await mappings.list(orgId)).items).toHaveLength(limit);
  });
});
