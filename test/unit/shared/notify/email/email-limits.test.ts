import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import {
  MAX_EMAIL_TARGETS_PER_EVENT,
  makeEmailLimits,
  QUOTA_REACHED,
} from '../../../../../shared/notify/email/email-limits';
import type { EmailQuotaStore } from '../../../../../shared/notify/email/ports';
import { makeMatcher } from '../../../../../shared/notify/match/match';
import type { DeliveryQueue, DeliveryTarget } from '../../../../../shared/notify/model';
import type { MailMessage } from '../../../../../shared/ports/mailer';
import { PLANS } from '../../../../../shared/tenancy/plans';
import type { User } from '../../../../../shared/tenancy/user';
import { aCanonicalEvent } from '../../../../support/builders';

const orgId = 'org_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE';
const at = new Date('2026-12-02T10:00:00.000Z');

/** The quota store's contract, in memory: a count per day, a share per event, a notice per day. */
function memoryQuota(audits: AuditRecord[]): EmailQuotaStore & { days: Map<string, number> } {
  const days = new Map<string, number>();
  const shares = new Map<string, number>();
  const notices = new Set<string>();
  return {
    days,
    async consume(org, day, eventId, wanted, limit) {
      const kept = shares.get(`${org}#${eventId}`);
      if (kept !== undefined) return kept;
      const used = days.get(`${org}#${day}`) ?? 0;
      const granted = Math.max(0, Math.min(wanted, limit - used));
      days.set(`${org}#${day}`, used + granted);
      shares.set(`${org}#${eventId}`, granted);
      return granted;
    },
    async countOn(org, day) {
      return days.get(`${org}#${day}`) ?? 0;
    },
    async claimNotice(org, day, audit) {
      if (notices.has(`${org}#${day}`)) return false;
      notices.add(`${org}#${day}`);
      audits.push(audit);
      return true;
    },
  };
}

const admin: User = {
  id: 'usr_admin',
  orgId,
  email: 'admin@example.com',
  name: 'Admin',
  role: 'admin',
  status: 'active',
  createdAt: at.toISOString(),
  createdBy: 'test',
};
const member: User = { ...admin, id: 'usr_member', email: 'member@example.com', role: 'member' };

const emails = (n: number, prefix = 'r') =>
  Array.from({ length: n }, (_, i) => ({ channel: 'email' as const, address: `${prefix}${i}@example.com` }));

function setup() {
  const audits: AuditRecord[] = [];
  const quota = memoryQuota(audits);
  const mails: MailMessage[] = [];
  const limits = makeEmailLimits({
    quota,
    planOf: async () => 'free',
    audit: { append: async (r) => void audits.push(r) },
    clock: { now: () => at },
    mailer: {
      send: async (m) => {
        mails.push(m);
        return { messageId: 'm' };
      },
    },
    users: { list: async () => ({ items: [admin, member], nextCursor: null }) },
  });
  return { quota, audits, mails, limits };
}

describe('the limits on notification email', () => {
  it('sends at most 100 emails for one event, recording once that the rest were left out', async () => {
    const { limits, audits } = setup();
    const event = aCanonicalEvent({ tenantId: orgId });
    const first = await limits(event, emails(130));
    expect(first.send).toHaveLength(MAX_EMAIL_TARGETS_PER_EVENT);
    expect(first.capped).toBe(30);
    expect(first.held).toEqual([]);
    // The same event matched again: the same decision, the same (once-only) audit record.
    await limits(event, emails(130));
    const capped = audits.filter((a) => a.action === 'notification.email_targets_capped');
    expect(new Set(capped.map((a) => a.id)).size).toBe(1);
    expect(capped[0]?.after).toMatchObject({ targets: 130, left: 30 });
  });

  it("drops emails past the plan's daily quota with the reason, and tells the admins once that day", async () => {
    const { limits, audits, mails, quota } = setup();
    const limit = PLANS.free.emailsPerDay;
    for (let i = 0; i < limit / 100; i++)
      await limits(aCanonicalEvent({ tenantId: orgId }), emails(100, `e${i}-`));
    expect(await quota.countOn(orgId, '2026-12-02')).toBe(limit);
    expect(mails).toEqual([]);

    const over = await limits(aCanonicalEvent({ tenantId: orgId }), emails(3, 'late'));
    expect(over.send).toEqual([]);
    expect(over.held.map((h) => h.reason)).toEqual([QUOTA_REACHED, QUOTA_REACHED, QUOTA_REACHED]);
    await limits(aCanonicalEvent({ tenantId: orgId }), emails(2, 'later'));
    // The admins (not plain members) are told once, and that notice is not counted.
    expect(mails.map((m) => m.to)).toEqual(['admin@example.com']);
    expect(mails[0]?.subject).toMatch(/quota/);
    expect(await quota.countOn(orgId, '2026-12-02')).toBe(limit);
    expect(audits.filter((a) => a.action === 'notification.email_quota_reached')).toHaveLength(1);
  });

  it('grants part of an event when the quota has less left than it wants', async () => {
    const { limits } = setup();
    await limits(aCanonicalEvent({ tenantId: orgId }), emails(100, 'a'));
    await limits(aCanonicalEvent({ tenantId: orgId }), emails(98, 'b'));
    const last = await limits(aCanonicalEvent({ tenantId: orgId }), emails(5, 'c'));
    expect(last.send.map((t) => t.address)).toEqual(['c0@example.com', 'c1@example.com']);
    expect(last.held).toHaveLength(3);
  });

  it('the matcher creates the held messages dropped and queues only the rest (webhooks never limited)', async () => {
    const { limits } = setup();
    const calls: { targets: DeliveryTarget[]; held: { target: DeliveryTarget; reason: string }[] }[] = [];
    const deliveries: DeliveryQueue = {
      enqueue: async (_e, targets, held = []) => {
        calls.push({ targets: [...targets], held: [...held] });
        return { created: targets.length + held.length, existing: 0 };
      },
    };
    const match = makeMatcher({
      endpoints: { listEnabled: async () => [{ id: 'ep_1', eventTypes: ['*'] }] },
      deliveries,
      rules: {
        destinationsFor: async () => [
          { ruleId: 'nrule_1', destination: { kind: 'email', addresses: ['x@example.com'] } },
        ],
      },
      recipients: { resolve: async () => ({ now: emails(250), digest: [] }) },
      emailLimits: limits,
    });
    await match(aCanonicalEvent({ tenantId: orgId }));
    await match(aCanonicalEvent({ tenantId: orgId }));
    const second = calls[1];
    expect(second?.targets.filter((t) => t.channel === 'webhook')).toHaveLength(1);
    expect(second?.targets.filter((t) => t.channel === 'email')).toHaveLength(100);
    const third = await match(aCanonicalEvent({ tenantId: orgId }));
    expect(third.targets).toBe(1);
    expect(calls[2]?.held).toHaveLength(100);
  });
});
