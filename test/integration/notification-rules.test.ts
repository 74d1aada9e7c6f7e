import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbNotificationRuleStore } from '../../shared/adapters/dynamodb/dynamodb-notification-rule-store';
import { DynamoDbOrgPurger } from '../../shared/adapters/dynamodb/dynamodb-org-purger';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { ConflictError, ForbiddenError, NotFoundError, QuotaExceededError } from '../../shared/errors';
import { makeManageNotificationRules } from '../../shared/notify/rules/manage-rules';
import { noEndpoints } from '../../shared/notify/rules/ports';
import { CreateNotificationRuleRequest } from '../../shared/notify/rules/rule';
import { CachedRuleDestinations } from '../../shared/notify/rules/rule-destinations';
import { sampleEvent } from '../../shared/notify/rules/sample-event';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-rules', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };

function setup() {
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const rules = new DynamoDbNotificationRuleStore(aws.docs, aws.tables);
  const none = { get: async () => null };
  const manage = makeManageNotificationRules({
    orgs,
    rules,
    refs: { endpoints: noEndpoints, users: none, teams: none, connections: none },
    users: none,
    teams: { ...none, membersOf: async () => [] },
    events: { get: async () => undefined },
    claims: {} as never,
    channels: {},
    clock,
  });
  return { orgs, rules, manage };
}

const input = (name: string, extra: Record<string, unknown> = {}) =>
  CreateNotificationRuleRequest.parse({
    name,
    eventTypes: ['pull_request.*'],
    destinations: [{ kind: 'email', addresses: ['ops@example.com'] }],
    ...extra,
  });

const auditOf = async (orgId: string) =>
  (
    await aws.docs.send(
      new QueryCommand({
        TableName: aws.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${orgId}#AUDIT` },
      }),
    )
  ).Items ?? [];

describe('notification rules in DynamoDB Local', () => {
  it('holds an org to its plan’s rule limit, atomically with each rule, and gives the place back on delete', async () => {
    const { orgs, manage } = setup();
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Rules', slug: 'rules-quota-it', plan: 'free' },
      platformAdmin,
      request,
    );
    const kept = [];
    for (let i = 0; i < 10; i++)
      kept.push(await manage.create(org.id, input(`r${i}`), platformAdmin, request));
    // Free plan: 10 rules; the 11th is refused and leaves nothing behind.
    await expect(manage.create(org.id, input('one too many'), platformAdmin, request)).rejects.toBeInstanceOf(
      QuotaExceededError,
    );
    expect((await setup().rules.list(org.id, { limit: 100 })).items).toHaveLength(10);
    const totals = await aws.docs.send(
      new GetCommand({ TableName: aws.tables.domainTable, Key: { PK: `T#${org.id}#USAGE`, SK: 'TOTALS' } }),
    );
    expect(totals.Item?.notificationRules).toBe(10);
    expect((await auditOf(org.id)).filter((a) => a.action === 'notification_rule.created')).toHaveLength(10);

    await manage.remove(org.id, String(kept[0]?.id), platformAdmin, request);
    await expect(
      manage.create(org.id, input('in the freed place'), platformAdmin, request),
    ).resolves.toMatchObject({
      name: 'in the freed place',
    });
    await expect(manage.remove(org.id, String(kept[0]?.id), platformAdmin, request)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await auditOf(org.id)).filter((a) => a.action === 'notification_rule.deleted')).toHaveLength(1);
  });

  it('lists rules page by page, changes them with a version check, and lists only enabled ones for matching', async () => {
    const { orgs, rules, manage } = setup();
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Pages', slug: 'rules-pages-it' },
      platformAdmin,
      request,
    );
    const a = await manage.create(org.id, input('a'), platformAdmin, request);
    const b = await manage.create(org.id, input('b', { enabled: false }), platformAdmin, request);
    const c = await manage.create(org.id, input('c', { eventTypes: ['push'] }), platformAdmin, request);
    const first = await rules.list(org.id, { limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await rules.list(org.id, { limit: 2, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((r) => r.name).sort()).toEqual(['a', 'b', 'c']);
    expect((await rules.listEnabled(org.id)).map((r) => r.id).sort()).toEqual([a.id, c.id].sort());

    const updated = await manage.update(org.id, b.id, { enabled: true, name: 'b2' }, platformAdmin, request);
    const { addressConfirmations: _states, ...stored } = updated;
    await expect(rules.get(org.id, b.id)).resolves.toEqual({ value: stored, version: 2 });
    // A writer holding the rule as it was before is refused, not silently overwriting.
    await expect(
      rules.save({ ...b, name: 'stale' }, 1, (await auditOf(org.id))[0] as never),
    ).rejects.toBeInstanceOf(ConflictError);
    const trail = await auditOf(org.id);
    expect(trail.find((r) => r.action === 'notification_rule.updated')).toMatchObject({
      before: { name: 'b', enabled: false },
      after: { name: 'b2', enabled: true },
    });

    const destinations = new CachedRuleDestinations(rules);
    const pr = sampleEvent(org.id, 'pull_request.merged', {}, new Date());
    expect((await destinations.destinationsFor(pr)).map((d) => d.ruleId).sort()).toEqual([a.id, b.id].sort());
  });

  it('refuses a read of another tenant’s rules through the tenant-scoped table', async () => {
    const { rules } = setup();
    await expect(rules.get('not-an-org', 'nrule_01JD3Q4ZK8M7X2V9N6B5C4D3E2')).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it('purges a deleted org’s rules with the rest of its items', async () => {
    const { orgs, rules, manage } = setup();
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Gone', slug: 'rules-purge-it' },
      platformAdmin,
      request,
    );
    await manage.create(org.id, input('goes'), platformAdmin, request);
    const { removed, done } = await new DynamoDbOrgPurger(aws.docs, aws.tables.domainTable).purge(org.id);
    expect(done).toBe(true);
    expect(removed.notificationRules).toBe(1);
    expect((await rules.list(org.id, { limit: 10 })).items).toEqual([]);
  });
});
