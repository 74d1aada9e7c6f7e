import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApprovalStore } from '../../shared/adapters/dynamodb/dynamodb-approval-store';
import { DynamoDbDueIndex } from '../../shared/adapters/dynamodb/dynamodb-due-index';
import { RequestApprovalSchema } from '../../shared/approvals/approval';
import { approvalExpiry } from '../../shared/approvals/expiry';
import type { ApprovalsDeps } from '../../shared/approvals/manage-approvals';
import { APPROVAL_EXPIRY_KIND, makeApprovals } from '../../shared/approvals/manage-approvals';
import type { Principal } from '../../shared/identity/principal';
import { newId } from '../../shared/ids';
import { makeRunDueWork } from '../../shared/notify/delivery/due-work';
import type { Clock } from '../../shared/ports/clock';
import type { User } from '../../shared/tenancy/user';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

let ddb: LocalDynamoDb;
beforeAll(async () => {
  ddb = await startLocalDynamoDb();
}, 120_000);
afterAll(async () => ddb?.stop());

const T0 = new Date('2026-12-01T12:00:00.000Z');
const request = { requestId: 'req-int', ip: '203.0.113.9', userAgent: 'test' };

function hub(orgId: string, clock: Clock) {
  const people: User[] = ['Ada', 'Grace'].map((name) => ({
    id: newId('usr'),
    orgId,
    email: `${name}@example.test`,
    name,
    role: 'admin',
    status: 'active',
    createdAt: T0.toISOString(),
    createdBy: 'test',
  }));
  const store = new DynamoDbApprovalStore(ddb.docs, ddb.tables);
  const due = new DynamoDbDueIndex(ddb.docs, ddb.tables.domainTable, clock);
  const deps: ApprovalsDeps = {
    approvals: store,
    orgs: { get: async () => ({ id: orgId, plan: 'free' }) as never },
    users: { get: async (_o, id) => people.find((p) => p.id === id) ?? null },
    teams: { all: async () => [], membershipsOf: async () => [] },
    connections: { get: async () => null },
    endpoints: { get: async () => null },
    providers: { module: () => undefined },
    audit: { append: async () => undefined },
    dueIndex: due,
    clock,
  };
  return {
    store,
    due,
    people,
    approvals: makeApprovals(deps),
    with: (other: Clock) => makeApprovals({ ...deps, clock: other }),
  };
}

const agent = (orgId: string): Principal => ({
  kind: 'org_member',
  type: 'api_key',
  id: newId('key'),
  name: 'agent',
  orgId,
  role: 'member',
});
const ask = (expiresIn = 3600) =>
  RequestApprovalSchema.parse({
    question: 'Ship it?',
    options: [
      { id: 'yes', label: 'Yes' },
      { id: 'no', label: 'No' },
    ],
    answerers: { roles: ['admin'] },
    expiresIn,
    context: { build: 42, nested: { ok: true, list: [1, 'two', null] } },
  });

const items = async (orgId: string, collection: string) =>
  (
    await ddb.docs.send(
      new QueryCommand({
        TableName: collection === 'AUDIT' ? ddb.tables.auditTable : ddb.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${orgId}#${collection}` },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];
const pendingCount = async (orgId: string) =>
  Number((await items(orgId, 'USAGE')).find((i) => i.SK === 'TOTALS')?.pendingApprovals ?? 0);
const outboxTypes = async (orgId: string) =>
  (await items(orgId, 'OUTBOX')).map((i) => JSON.parse(String(i.event)).type as string).sort();

describe('approvals against DynamoDB Local', () => {
  it('keeps the approval as asked (its context as given) with its audit record, event and pending count', async () => {
    const orgId = newId('org');
    const h = hub(orgId, { now: () => T0 });
    const created = await h.approvals.request(orgId, ask(), agent(orgId), request);
    expect(await h.approvals.get(orgId, created.id)).toEqual(created);
    expect(created.context).toEqual({ build: 42, nested: { ok: true, list: [1, 'two', null] } });
    expect(await pendingCount(orgId)).toBe(1);
    expect(await outboxTypes(orgId)).toEqual(['approval.requested']);
    expect((await items(orgId, 'AUDIT')).map((a) => a.action)).toEqual(['approval.requested']);
    expect(
      (await h.due.due(APPROVAL_EXPIRY_KIND, new Date(created.expiresAt), 10)).map((e) => e.ref),
    ).toContain(created.id);
  });

  it('lets exactly one of two answers at once win; the other sees who decided', async () => {
    const orgId = newId('org');
    const h = hub(orgId, { now: () => T0 });
    const { id } = await h.approvals.request(orgId, ask(), agent(orgId), request);
    const [ada, grace] = h.people as [User, User];
    const results = await Promise.all([
      h.approvals.answer({ orgId, approvalId: id, option: 'yes', userId: ada.id, channel: 'api' }),
      h.approvals.answer({ orgId, approvalId: id, option: 'no', userId: grace.id, channel: 'chat' }),
    ]);
    const outcomes = results.map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['already_decided', 'won']);
    const won = results.find((r) => r.outcome === 'won');
    const lost = results.find((r) => r.outcome === 'already_decided');
    const stored = await h.approvals.get(orgId, id);
    expect(stored.decision?.by.name).toBe(won?.outcome === 'won' ? won.approval.decision?.by.name : 'never');
    expect(lost?.message).toContain(`Already decided by ${stored.decision?.by.name}`);
    expect(await outboxTypes(orgId)).toEqual(['approval.decided', 'approval.requested']);
    expect((await items(orgId, 'AUDIT')).filter((a) => a.action === 'approval.decided')).toHaveLength(1);
    expect(await pendingCount(orgId)).toBe(0);
  });

  it('resolves an answer racing the expiry one way only: decided or expired, never both', async () => {
    const orgId = newId('org');
    const h = hub(orgId, { now: () => T0 });
    const { id, expiresAt } = await h.approvals.request(orgId, ask(60), agent(orgId), request);
    const [ada] = h.people as [User];
    // The answer's clock is a second before the expiry, the sweeper's a second after it.
    const before = h.with({ now: () => new Date(Date.parse(expiresAt) - 1000) });
    const after = { now: () => new Date(Date.parse(expiresAt) + 1000) };
    const [answered] = await Promise.all([
      before.answer({ orgId, approvalId: id, option: 'yes', userId: ada.id, channel: 'api' }),
      approvalExpiry(h.store, after).run({
        kind: APPROVAL_EXPIRY_KIND,
        orgId,
        ref: id,
        dueAt: new Date(expiresAt),
      }),
    ]);
    const final = await h.store.get(orgId, id);
    expect(final?.status).toBe(answered.outcome === 'won' ? 'decided' : 'expired');
    const types = await outboxTypes(orgId);
    expect(types.filter((t) => t !== 'approval.requested')).toHaveLength(1);
    expect(await pendingCount(orgId)).toBe(0);
  });

  it('is expired by the minute sweep once due; an answer after it is refused as expired', async () => {
    const orgId = newId('org');
    let now = T0;
    const clock = { now: () => now };
    const h = hub(orgId, clock);
    const { id } = await h.approvals.request(orgId, ask(60), agent(orgId), request);
    const sweep = makeRunDueWork({
      dueIndex: h.due,
      queues: { sendBatch: async () => undefined },
      clock,
      health: {} as never,
      kinds: [approvalExpiry(h.store, clock)],
    });
    await sweep();
    expect((await h.store.get(orgId, id))?.status).toBe('pending');
    now = new Date(T0.getTime() + 61_000);
    // Read before the sweep: already expired.
    expect((await h.approvals.list(orgId, 'expired', { limit: 10 })).items.map((a) => a.id)).toEqual([id]);
    expect((await h.approvals.list(orgId, 'pending', { limit: 10 })).items).toEqual([]);
    const swept = await sweep();
    // The due index is the deployment's: other tests' approvals past due may be swept with this one.
    // That this org's expired exactly once is what its outbox shows below.
    expect(swept.other?.[APPROVAL_EXPIRY_KIND]).toBeGreaterThanOrEqual(1);
    expect((await h.store.get(orgId, id))?.status).toBe('expired');
    expect(await outboxTypes(orgId)).toEqual(['approval.expired', 'approval.requested']);
    const [ada] = h.people as [User];
    expect(
      (await h.approvals.answer({ orgId, approvalId: id, option: 'yes', userId: ada.id, channel: 'api' }))
        .outcome,
    ).toBe('expired');
    expect(await pendingCount(orgId)).toBe(0);
  });

  it('lists newest first, filtered by status as each stands', async () => {
    const orgId = newId('org');
    const h = hub(orgId, { now: () => T0 });
    const one = await h.approvals.request(orgId, ask(), agent(orgId), request);
    const two = await h.approvals.request(orgId, ask(), agent(orgId), request);
    await h.approvals.cancel(
      orgId,
      one.id,
      { ...(agent(orgId) as Extract<Principal, { kind: 'org_member' }>), role: 'admin' },
      request,
    );
    expect((await h.approvals.list(orgId, undefined, { limit: 10 })).items.map((a) => a.id)).toEqual([
      two.id,
      one.id,
    ]);
    expect((await h.approvals.list(orgId, 'cancelled', { limit: 10 })).items.map((a) => a.id)).toEqual([
      one.id,
    ]);
    expect((await h.approvals.list(orgId, 'pending', { limit: 10 })).items.map((a) => a.id)).toEqual([
      two.id,
    ]);
    const page = await h.approvals.list(orgId, undefined, { limit: 1 });
    expect(page.nextCursor).not.toBeNull();
  });
});
