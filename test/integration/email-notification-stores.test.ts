import { DynamoDbDigestStore } from '../../shared/adapters/dynamodb/dynamodb-digest-store';
import { DynamoDbDueIndex } from '../../shared/adapters/dynamodb/dynamodb-due-index';
import { DynamoDbEmailQuotaStore } from '../../shared/adapters/dynamodb/dynamodb-email-quota-store';
import { DynamoDbMailSuppressionStore } from '../../shared/adapters/dynamodb/dynamodb-mail-suppression-store';
import { DynamoDbNotificationPreferenceStore } from '../../shared/adapters/dynamodb/dynamodb-notification-preference-store';
import { DynamoDbUnsubscribeTokenStore } from '../../shared/adapters/dynamodb/dynamodb-unsubscribe-token-store';
import { auditBySystem } from '../../shared/audit/audit-record';
import { ConflictError, NotFoundError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { EmailDigestCollector, makeSendDigests } from '../../shared/notify/email/digests';
import { NotificationPreferencesInput } from '../../shared/notify/email/preferences';
import { makeSuppressFromFeedback } from '../../shared/notify/email/suppressions';
import { hashUnsubscribeToken } from '../../shared/notify/email/unsubscribe';
import type { MailMessage } from '../../shared/ports/mailer';
import type { Org } from '../../shared/tenancy/org';
import type { User } from '../../shared/tenancy/user';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const audit = (orgId: string, action = 'test.change') =>
  auditBySystem({ action, actor: 'test', orgId, targets: [], requestId: 'r', at: new Date() });

describe('notification preferences in DynamoDB Local', () => {
  it('are absent until saved, then read back, versioned: a stale write is a conflict', async () => {
    const store = new DynamoDbNotificationPreferenceStore(aws.docs, aws.tables);
    const orgId = newId('org');
    const userId = newId('usr');
    expect(await store.get(orgId, userId)).toBeNull();
    const prefs = NotificationPreferencesInput.parse({ digest: 'hourly', eventTypes: ['push'] });
    await store.save(orgId, userId, prefs, '2026-12-01T10:00:00.000Z', 0, audit(orgId));
    expect(await store.get(orgId, userId)).toEqual({
      value: { ...prefs, updatedAt: '2026-12-01T10:00:00.000Z' },
      version: 1,
    });
    await expect(
      store.save(orgId, userId, prefs, '2026-12-01T10:01:00.000Z', 0, audit(orgId)),
    ).rejects.toThrow(ConflictError);
    const many = await store.getMany(orgId, [userId, newId('usr')]);
    expect([...many.keys()]).toEqual([userId]);
    expect(many.get(userId)?.digest).toBe('hourly');
  });
});

describe('mail suppressions in DynamoDB Local', () => {
  it('suppress once per address, list, lift, and say so when there is nothing to lift', async () => {
    const store = new DynamoDbMailSuppressionStore(aws.docs, aws.tables);
    const suppress = makeSuppressFromFeedback({ suppressions: store, clock: { now: () => new Date() } });
    const orgId = newId('org');
    const feedback = {
      orgId,
      messageId: 'ses-1',
      reason: 'bounce' as const,
      detail: 'General',
      addresses: ['ada@example.com', 'bo@example.com'],
    };
    expect(await suppress(feedback, 'sqs-1')).toBe(2);
    // The same feedback delivered again suppresses (and audits) nothing more.
    expect(await suppress(feedback, 'sqs-1')).toBe(0);
    expect(await store.suppressed(orgId, ['ADA@example.com', 'cy@example.com'])).toEqual(
      new Set(['ada@example.com']),
    );
    // Another org's suppressions are its own.
    expect((await store.suppressed(newId('org'), ['ada@example.com'])).size).toBe(0);
    const page = await store.list(orgId, { limit: 10 });
    expect(page.items.map((s) => s.address).sort()).toEqual(['ada@example.com', 'bo@example.com']);
    expect(page.items[0]).toMatchObject({ reason: 'bounce', detail: 'General' });
    await store.remove(orgId, 'ada@example.com', audit(orgId));
    expect((await store.suppressed(orgId, ['ada@example.com'])).size).toBe(0);
    await expect(store.remove(orgId, 'ada@example.com', audit(orgId))).rejects.toThrow(NotFoundError);
  });

  it("lifts only a bounce: a complaint is the recipient's choice, not the org's", async () => {
    const store = new DynamoDbMailSuppressionStore(aws.docs, aws.tables);
    const suppress = makeSuppressFromFeedback({ suppressions: store, clock: { now: () => new Date() } });
    const orgId = newId('org');
    await suppress(
      { orgId, messageId: 'ses-2', reason: 'complaint', detail: 'abuse', addresses: ['dee@example.com'] },
      'sqs-2',
    );
    await expect(store.remove(orgId, 'dee@example.com', audit(orgId))).rejects.toThrow(ConflictError);
    expect(await store.suppressed(orgId, ['dee@example.com'])).toEqual(new Set(['dee@example.com']));
  });
});

describe('unsubscribe tokens in DynamoDB Local', () => {
  it('find their org and user by the hash, and nothing once expired', async () => {
    const store = new DynamoDbUnsubscribeTokenStore(aws.docs, aws.tables.domainTable);
    const orgId = newId('org');
    const hash = hashUnsubscribeToken('hubunsub_a');
    await store.put(hash, { orgId, userId: 'usr_x' }, new Date(Date.now() + 86_400_000));
    expect(await store.find(hash)).toEqual({ orgId, userId: 'usr_x' });
    const old = hashUnsubscribeToken('hubunsub_b');
    await store.put(old, { orgId, address: 'a@example.com' }, new Date(Date.now() - 1000));
    expect(await store.find(old)).toBeNull();
    expect(await store.find(hashUnsubscribeToken('hubunsub_c'))).toBeNull();
  });
});

// The due index's sweep cursor is per kind, for the whole table: the tests' clocks only move forward.
describe('digests in DynamoDB Local', () => {
  function setup(now: { at: Date }) {
    const orgId = newId('org');
    const userId = newId('usr');
    const clock = { now: () => now.at };
    const digests = new DynamoDbDigestStore(aws.docs, aws.tables);
    const preferences = new DynamoDbNotificationPreferenceStore(aws.docs, aws.tables);
    const due = new DynamoDbDueIndex(aws.docs, aws.tables.domainTable, clock);
    const tokens = new DynamoDbUnsubscribeTokenStore(aws.docs, aws.tables.domainTable);
    const suppressions = new DynamoDbMailSuppressionStore(aws.docs, aws.tables);
    const sent: MailMessage[] = [];
    const org = { id: orgId, name: 'Acme', status: 'active' } as Org;
    const user = { id: userId, orgId, email: 'ada@example.com', status: 'active' } as User;
    const deps = {
      digests,
      due,
      users: { get: async () => user },
      orgs: { get: async () => org },
      preferences,
      suppressions,
      tokens,
      mailer: {
        send: async (m: MailMessage) => {
          sent.push(m);
          return { messageId: `m-${sent.length}` };
        },
      },
      clock,
      publicUrl: 'https://hub.example',
    };
    const collector = new EmailDigestCollector({ digests, preferences, due, clock });
    return { orgId, userId, deps, sent, collector, preferences };
  }

  it('collects events for the next hour and sends them as one email, once', async () => {
    const now = { at: new Date('2026-12-01T10:20:00Z') };
    const { orgId, userId, deps, sent, collector, preferences } = setup(now);
    await preferences.save(
      orgId,
      userId,
      NotificationPreferencesInput.parse({ digest: 'hourly' }),
      now.at.toISOString(),
      0,
      audit(orgId),
    );
    const first = aCanonicalEvent({ tenantId: orgId, type: 'custom.deploy.done', data: { env: 'prod' } });
    const second = aCanonicalEvent({
      tenantId: orgId,
      type: 'custom.deploy.failed',
      data: { env: 'staging' },
    });
    await collector.add(orgId, [userId], first);
    await collector.add(orgId, [userId], second);
    // The same event collected twice (a redelivery) is listed once.
    await collector.add(orgId, [userId], first);
    const send = makeSendDigests(deps);
    expect((await send()).sent).toBe(0);
    now.at = new Date('2026-12-01T11:01:00Z');
    expect(await send()).toMatchObject({ sent: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe('Your hourly digest from Acme: 2 events');
    expect(sent[0]?.text).toContain('Event deploy.done');
    expect(sent[0]?.text).toContain('Event deploy.failed');
    expect(sent[0]?.headers?.['List-Unsubscribe']).toMatch(
      /^<https:\/\/hub\.example\/unsubscribe\?token=hubunsub_/,
    );
    expect(sent[0]?.tags).toEqual({ orgId });
    now.at = new Date('2026-12-01T11:06:00Z');
    expect((await send()).sent).toBe(0);
    expect(sent).toHaveLength(1);
  });

  it("collects a day's events for the user's daily hour and sends them as one email then; what comes after waits a day", async () => {
    const now = { at: new Date('2026-12-01T10:20:00Z') };
    const { orgId, userId, deps, sent, collector, preferences } = setup(now);
    await preferences.save(
      orgId,
      userId,
      NotificationPreferencesInput.parse({ digest: 'daily', dailyHourUtc: 14 }),
      now.at.toISOString(),
      0,
      audit(orgId),
    );
    const send = makeSendDigests(deps);
    await collector.add(
      orgId,
      [userId],
      aCanonicalEvent({ tenantId: orgId, type: 'custom.deploy.done', data: {} }),
    );
    // Hours pass, none of them the user's: nothing goes out, and the day's events gather.
    now.at = new Date('2026-12-01T11:01:00Z');
    expect((await send()).sent).toBe(0);
    now.at = new Date('2026-12-01T13:30:00Z');
    await collector.add(
      orgId,
      [userId],
      aCanonicalEvent({ tenantId: orgId, type: 'custom.deploy.failed', data: {} }),
    );
    now.at = new Date('2026-12-01T13:59:00Z');
    expect((await send()).sent).toBe(0);
    now.at = new Date('2026-12-01T14:01:00Z');
    expect(await send()).toMatchObject({ sent: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe('Your daily digest from Acme: 2 events');
    expect(sent[0]?.text).toContain('Event deploy.done');
    expect(sent[0]?.text).toContain('Event deploy.failed');
    expect(sent[0]?.headers?.['List-Unsubscribe']).toMatch(/unsubscribe\?token=hubunsub_/);
    // An event just after the hour is in the next day's digest, not an hour later.
    now.at = new Date('2026-12-01T14:30:00Z');
    await collector.add(
      orgId,
      [userId],
      aCanonicalEvent({ tenantId: orgId, type: 'custom.deploy.late', data: {} }),
    );
    now.at = new Date('2026-12-01T15:01:00Z');
    expect((await send()).sent).toBe(0);
    now.at = new Date('2026-12-02T13:59:00Z');
    expect((await send()).sent).toBe(0);
    now.at = new Date('2026-12-02T14:01:00Z');
    expect(await send()).toMatchObject({ sent: 1 });
    expect(sent).toHaveLength(2);
    expect(sent[1]?.subject).toBe('Your daily digest from Acme: 1 event');
    expect(sent[1]?.text).toContain('Event deploy.late');
    expect(sent[1]?.text).not.toContain('Event deploy.done');
  });

  it('does not send again when the sender stopped after the email went out', async () => {
    const now = { at: new Date('2026-12-01T11:20:00Z') };
    const { orgId, userId, deps, sent, collector, preferences } = setup(now);
    await preferences.save(
      orgId,
      userId,
      NotificationPreferencesInput.parse({ digest: 'hourly' }),
      now.at.toISOString(),
      0,
      audit(orgId),
    );
    await collector.add(orgId, [userId], aCanonicalEvent({ tenantId: orgId, type: 'custom.a', data: {} }));
    now.at = new Date('2026-12-01T12:01:00Z');
    // The first sender stops after marking the email sent, before clearing its events.
    let crash = true;
    const crashing = makeSendDigests({
      ...deps,
      digests: Object.assign(Object.create(deps.digests), {
        clear: async (...args: Parameters<typeof deps.digests.clear>) => {
          if (crash) {
            crash = false;
            throw new Error('stopped');
          }
          return deps.digests.clear(...args);
        },
      }),
    });
    expect((await crashing()).failed).toBe(1);
    expect(sent).toHaveLength(1);
    const again = await makeSendDigests(deps)();
    expect(again).toMatchObject({ already_sent: 1, sent: 0 });
    expect(sent).toHaveLength(1);
    expect(await deps.digests.pending(orgId, userId, 10)).toEqual([]);
  });

  it('sends nothing to a user who turned email off since, and clears what waited', async () => {
    const now = { at: new Date('2026-12-01T12:20:00Z') };
    const { orgId, userId, deps, sent, collector, preferences } = setup(now);
    await preferences.save(
      orgId,
      userId,
      NotificationPreferencesInput.parse({ digest: 'daily', dailyHourUtc: 14 }),
      now.at.toISOString(),
      0,
      audit(orgId),
    );
    await collector.add(orgId, [userId], aCanonicalEvent({ tenantId: orgId, type: 'custom.a', data: {} }));
    await preferences.save(
      orgId,
      userId,
      NotificationPreferencesInput.parse({ digest: 'daily', dailyHourUtc: 14, channels: { email: false } }),
      now.at.toISOString(),
      1,
      audit(orgId),
    );
    now.at = new Date('2026-12-01T13:59:00Z');
    expect((await makeSendDigests(deps)()).skipped).toBe(0);
    now.at = new Date('2026-12-01T14:01:00Z');
    expect((await makeSendDigests(deps)()).skipped).toBe(1);
    expect(sent).toEqual([]);
    expect(await deps.digests.pending(orgId, userId, 10)).toEqual([]);
  });
});

describe('the daily email quota in DynamoDB Local', () => {
  it('grants each event its share once, never past the limit, and claims the day notice once', async () => {
    const store = new DynamoDbEmailQuotaStore(aws.docs, aws.tables);
    const orgId = newId('org');
    const day = '2026-12-02';
    const e1 = newId('evt');
    expect(await store.consume(orgId, day, e1, 6, 10)).toBe(6);
    // Matched again (a redelivered event): the same share, not counted twice.
    expect(await store.consume(orgId, day, e1, 6, 10)).toBe(6);
    expect(await store.consume(orgId, day, newId('evt'), 6, 10)).toBe(4);
    expect(await store.consume(orgId, day, newId('evt'), 1, 10)).toBe(0);
    expect(await store.countOn(orgId, day)).toBe(10);
    expect(await store.countOn(orgId, '2026-12-03')).toBe(0);
    // Concurrent events never get more than the limit between them.
    const other = newId('org');
    const shares = await Promise.all(
      Array.from({ length: 8 }, () => store.consume(other, day, newId('evt'), 3, 10)),
    );
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10);
    expect(await store.countOn(other, day)).toBeLessThanOrEqual(10);
    expect(await store.claimNotice(orgId, day, audit(orgId, 'notification.email_quota_reached'))).toBe(true);
    expect(await store.claimNotice(orgId, day, audit(orgId, 'notification.email_quota_reached'))).toBe(false);
  });
});
