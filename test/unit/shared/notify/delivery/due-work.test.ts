import { RETRY_KIND } from '../../../../../shared/notify/delivery/deliver';
import {
  INACTIVE_POSTPONE_MS,
  makePostponeOrder,
  makeRunDueWork,
} from '../../../../../shared/notify/delivery/due-work';
import type { DueEntry } from '../../../../../shared/ports/due-index';

/** An index that answers oldest first, as the DynamoDB one does, and keeps what is added. */
function oldestFirstIndex(entries: DueEntry[]) {
  return {
    add: async (e: DueEntry) => void entries.push(e),
    remove: async (e: DueEntry) => {
      const i = entries.findIndex((x) => x.orgId === e.orgId && x.ref === e.ref && +x.dueAt === +e.dueAt);
      if (i >= 0) entries.splice(i, 1);
    },
    due: async (_k: string, now: Date, limit: number) =>
      entries
        .filter((e) => e.dueAt <= now)
        .sort((a, b) => +a.dueAt - +b.dueAt)
        .slice(0, limit),
  };
}

describe('the due-work sweep', () => {
  it("does not let an inactive org's backlog stall every other org's retries, and keeps that backlog", async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const entries: DueEntry[] = [];
    for (let i = 0; i < 1200; i++)
      entries.push({
        kind: RETRY_KIND,
        orgId: 'org_SUSPENDED',
        ref: `msg_${String(i).padStart(26, '0')}#3`,
        dueAt: new Date(now.getTime() - 3_600_000),
      });
    entries.push({
      kind: RETRY_KIND,
      orgId: 'org_ACTIVE',
      ref: `msg_${'V'.repeat(26)}#3`,
      dueAt: new Date(now.getTime() - 60_000),
    });
    const sent: string[] = [];
    const run = makeRunDueWork({
      dueIndex: oldestFirstIndex(entries),
      queues: {
        sendBatch: async (_q: string, ms: readonly { body: string }[]) =>
          void sent.push(...ms.map((m) => m.body)),
      } as never,
      clock: { now: () => now },
      health: {} as never,
      tenants: {
        get: async (id: string) => ({ id, status: id === 'org_SUSPENDED' ? 'suspended' : 'active' }) as never,
      },
    });
    await run();
    expect(sent.map((b) => JSON.parse(b).orgId)).toEqual(['org_ACTIVE']);
    // Nothing of the suspended org is lost: every entry is still indexed, an hour on.
    const kept = entries.filter((e) => e.orgId === 'org_SUSPENDED');
    expect(kept).toHaveLength(1200);
    expect(kept.every((e) => e.dueAt > now)).toBe(true);
  });

  it("keeps a suspended org's delivery orders and queues them, a resend still a resend, once it is active again", async () => {
    let now = new Date('2026-12-01T12:00:00Z');
    const clock = { now: () => now };
    const entries: DueEntry[] = [];
    const dueIndex = oldestFirstIndex(entries);
    const status = new Map([
      ['org_PAUSED', 'suspended'],
      ['org_GONE', 'gone'],
    ]);
    const postpone = makePostponeOrder({ dueIndex, clock });
    const retry = `msg_${'R'.repeat(26)}`;
    const resend = `msg_${'M'.repeat(26)}`;
    await postpone({ orgId: 'org_PAUSED', messageId: retry, attempt: 2, eventId: `evt_${'E'.repeat(26)}` });
    await postpone({ orgId: 'org_PAUSED', messageId: resend, attempt: 8, manual: true });
    await postpone({ orgId: 'org_GONE', messageId: retry, attempt: 0 });
    expect(entries.map((e) => +e.dueAt - +now)).toEqual(Array(3).fill(INACTIVE_POSTPONE_MS));
    const sent: Record<string, unknown>[] = [];
    const run = makeRunDueWork({
      dueIndex,
      queues: {
        sendBatch: async (_q: string, ms: readonly { body: string }[]) =>
          void sent.push(...ms.map((m) => JSON.parse(m.body))),
      } as never,
      clock,
      health: {} as never,
      tenants: {
        get: async (id: string) => {
          const s = status.get(id);
          return s === 'gone' ? null : ({ id, status: s } as never);
        },
      },
    });
    // An hour on, still suspended: kept for another hour; the purged org's is forgotten.
    now = new Date(now.getTime() + INACTIVE_POSTPONE_MS);
    await run();
    expect(sent).toEqual([]);
    expect(entries.map((e) => e.orgId)).toEqual(['org_PAUSED', 'org_PAUSED']);
    status.set('org_PAUSED', 'active');
    now = new Date(now.getTime() + INACTIVE_POSTPONE_MS);
    await run();
    expect(sent).toEqual([
      { orgId: 'org_PAUSED', messageId: retry, attempt: 2 },
      { orgId: 'org_PAUSED', messageId: resend, attempt: 8, manual: true },
    ]);
    expect(entries).toEqual([]);
  });
});
