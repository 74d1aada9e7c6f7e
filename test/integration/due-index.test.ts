import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbDueIndex } from '../../shared/adapters/dynamodb/dynamodb-due-index';
import type { DataClient } from '../../shared/adapters/dynamodb/tenant-routing-client';
import { newId } from '../../shared/ids';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

describe('the due index against DynamoDB Local', () => {
  it('gives back what has come due, oldest first, keeps what is not yet due, and forgets what was removed', async () => {
    let now = new Date('2026-12-01T10:00:30Z');
    const index = new DynamoDbDueIndex(aws.docs, aws.tables.domainTable, { now: () => now });
    const kind = `test-${newId('job')}`;
    const orgId = newId('org');
    const at = (iso: string) => new Date(iso);
    await index.add({ kind, orgId, ref: 'late', dueAt: at('2026-12-01T10:05:00Z') });
    await index.add({ kind, orgId, ref: 'soon', dueAt: at('2026-12-01T10:01:10Z') });
    await index.add({ kind, orgId, ref: 'sooner', dueAt: at('2026-12-01T10:01:05Z') });
    // Another kind is another sweeper's.
    await index.add({ kind: `${kind}-other`, orgId, ref: 'x', dueAt: at('2026-12-01T10:01:00Z') });

    expect(await index.due(kind, now, 10)).toEqual([]);
    now = at('2026-12-01T10:02:00Z');
    const due = await index.due(kind, now, 10);
    expect(due.map((e) => e.ref)).toEqual(['sooner', 'soon']);
    // Not removed yet (the sweeper could not queue it): found again.
    expect((await index.due(kind, now, 10)).map((e) => e.ref)).toEqual(['sooner', 'soon']);
    for (const entry of due) await index.remove(entry);
    expect(await index.due(kind, now, 10)).toEqual([]);
    now = at('2026-12-01T10:06:00Z');
    expect((await index.due(kind, now, 10)).map((e) => e.ref)).toEqual(['late']);
  });

  it('indexes an entry already due as due now, so a sweep that has moved past its minute still finds it', async () => {
    let now = new Date('2026-12-02T08:00:00Z');
    const index = new DynamoDbDueIndex(aws.docs, aws.tables.domainTable, { now: () => now });
    const kind = `test-${newId('job')}`;
    const orgId = newId('org');
    expect(await index.due(kind, now, 10)).toEqual([]);
    now = new Date('2026-12-02T08:30:00Z');
    expect(await index.due(kind, now, 10)).toEqual([]);
    await index.add({ kind, orgId, ref: 'overdue', dueAt: new Date('2026-12-02T07:00:00Z') });
    const due = await index.due(kind, now, 10);
    expect(due).toEqual([{ kind, orgId, ref: 'overdue', dueAt: now }]);
  });

  it('takes at most the limit per sweep and finds the rest on the next', async () => {
    const now = new Date('2026-12-03T09:00:00Z');
    const index = new DynamoDbDueIndex(aws.docs, aws.tables.domainTable, { now: () => now });
    const kind = `test-${newId('job')}`;
    const orgId = newId('org');
    for (let i = 0; i < 5; i++)
      await index.add({ kind, orgId, ref: `r${i}`, dueAt: new Date(now.getTime() - 1000 * (5 - i)) });
    const first = await index.due(kind, now, 3);
    expect(first).toHaveLength(3);
    for (const entry of first) await index.remove(entry);
    expect(await index.due(kind, now, 3)).toHaveLength(2);
  });

  it('finds entries three days behind its last sweep in one sweep, with a few queries, not one per minute', async () => {
    let now = new Date('2026-12-04T12:00:00Z');
    let queries = 0;
    const counting: DataClient = {
      send: ((command: unknown) => {
        if (command instanceof QueryCommand) queries++;
        return aws.docs.send(command as never);
      }) as DataClient['send'],
    };
    const index = new DynamoDbDueIndex(counting, aws.tables.domainTable, { now: () => now });
    const kind = `test-${newId('job')}`;
    const orgId = newId('org');
    expect(await index.due(kind, now, 100)).toEqual([]);
    // Retries hours and days away, then the sweeper stops (or the clock moves) for three days.
    const dueAts = [1, 7, 30, 50, 70].map((hours) => new Date(now.getTime() + hours * 3_600_000));
    for (const [i, dueAt] of dueAts.entries()) await index.add({ kind, orgId, ref: `r${i}`, dueAt });
    now = new Date(now.getTime() + 72 * 3_600_000);
    queries = 0;
    const due = await index.due(kind, now, 100);
    expect(due.map((e) => e.ref)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    // The minutes index, then each of the five minutes that hold entries.
    expect(queries).toBeLessThanOrEqual(6);
    for (const entry of due) await index.remove(entry);
    queries = 0;
    expect(await index.due(kind, now, 100)).toEqual([]);
    // Swept empty, the five minutes are forgotten: the next sweep reads them once more at most.
    queries = 0;
    expect(await index.due(kind, now, 100)).toEqual([]);
    expect(queries).toBe(1);
  });
});
