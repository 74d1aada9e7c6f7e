import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccessStore } from '../../shared/adapters/dynamodb/dynamodb-access-store';
import { DynamoDbApiKeyStore } from '../../shared/adapters/dynamodb/dynamodb-api-key-store';
import { DynamoDbEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { TenantScopedTable } from '../../shared/adapters/dynamodb/tenant-scoped-table';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeRoleGuard } from '../../shared/authz/role-guard';
import { ConflictError, ForbiddenError, ValidationError } from '../../shared/errors';
import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { makeCreateApiKey } from '../../shared/identity/create-api-key';
import { newId } from '../../shared/ids';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-it', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };

const event = (orgId: string) => aCanonicalEvent({ tenantId: orgId });

describe('DynamoDB stores against DynamoDB Local', () => {
  it('creates an org with its audit record atomically, and refuses a second org with the same slug', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const createOrg = makeCreateOrg({ orgs, clock });
    const org = await createOrg({ name: 'Acme', slug: 'acme-it' }, platformAdmin, request);
    await expect(orgs.get(org.id)).resolves.toEqual(org);
    await expect(
      createOrg({ name: 'Other', slug: 'acme-it' }, platformAdmin, request),
    ).rejects.toBeInstanceOf(ConflictError);

    const audit = await aws.docs.send(
      new QueryCommand({
        TableName: aws.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${org.id}#AUDIT` },
      }),
    );
    expect(audit.Items).toHaveLength(1);
    expect(audit.Items?.[0]).toMatchObject({
      action: 'org.created',
      requestId: 'req-it',
      targets: [{ type: 'org', id: org.id }],
    });
  });

  it('stores an API key only as a hash that resolves to its grant', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const keys = new DynamoDbApiKeyStore(aws.docs, aws.tables);
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Keys', slug: 'keys-it' },
      platformAdmin,
      request,
    );
    const { apiKey, key } = await makeCreateApiKey({
      orgs,
      keys,
      clock,
      mayGrant: makeRoleGuard(new DynamoDbAccessStore(aws.docs, aws.tables)),
    })(org.id, { name: 'ci', role: 'member' }, platformAdmin, request);
    const { hashApiKey } = await import('../../shared/identity/api-key-format');
    await expect(keys.findByHash(hashApiKey(key))).resolves.toMatchObject({
      scope: 'org',
      keyId: apiKey.id,
      orgId: org.id,
      role: 'member',
    });
    const stored = JSON.stringify(
      await aws.docs.send(
        new QueryCommand({
          TableName: aws.tables.domainTable,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': `T#${org.id}#APIKEY` },
        }),
      ),
    );
    expect(stored).not.toContain(key);
    expect(stored).toContain(apiKey.display);
  });

  it('keeps stored events once, and pages through them newest first with an opaque cursor', async () => {
    const store = new DynamoDbEventStore(aws.docs, aws.tables.domainTable);
    const orgId = newId('org');
    const events = Array.from({ length: 5 }, () => event(orgId));
    for (const e of events) await expect(store.put(e)).resolves.toBe('stored');
    await expect(store.put(events[0] as CanonicalEvent)).resolves.toBe('duplicate');

    const first = await store.list(orgId, { limit: 2 });
    expect(first.items.map((e) => e.id)).toEqual([events[4]?.id, events[3]?.id]);
    const second = await store.list(orgId, { limit: 2, cursor: first.nextCursor ?? undefined });
    const third = await store.list(orgId, { limit: 2, cursor: second.nextCursor ?? undefined });
    expect([...second.items, ...third.items].map((e) => e.id)).toEqual([
      events[2]?.id,
      events[1]?.id,
      events[0]?.id,
    ]);
    expect(third.nextCursor).toBeNull();
  });

  it("refuses another org's cursor and a forged one", async () => {
    const store = new DynamoDbEventStore(aws.docs, aws.tables.domainTable);
    const orgA = newId('org');
    const orgB = newId('org');
    for (let i = 0; i < 3; i++) await store.put(event(orgA));
    const page = await store.list(orgA, { limit: 1 });
    await expect(store.list(orgB, { limit: 1, cursor: page.nextCursor ?? undefined })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.list(orgA, { limit: 1, cursor: 'not-base64-json' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('refuses any key outside the tenant before it reaches DynamoDB', async () => {
    const orgA = newId('org');
    const orgB = newId('org');
    const table = new TenantScopedTable(aws.docs, aws.tables.domainTable, orgA);
    await expect(table.get(`T#${orgB}#ORG`, 'PROFILE')).rejects.toBeInstanceOf(ForbiddenError);
    expect(() => table.putItem({ PK: `P#SLUG#x`, SK: 'CLAIM' })).toThrow(ForbiddenError);
    // A prefix of another id must not pass as the tenant's own.
    await expect(table.get(`T#${orgA}X#ORG`, 'PROFILE')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(table.queryPage(`T#${orgB}#EVT`, { limit: 1 })).rejects.toBeInstanceOf(ForbiddenError);
  });
});
