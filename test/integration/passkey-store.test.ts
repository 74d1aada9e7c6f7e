import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDbPasskeyChallenges,
  DynamoDbPasskeyStore,
} from '../../shared/adapters/dynamodb/dynamodb-passkey-store';
import type { AuditRecord } from '../../shared/audit/audit-record';
import { auditBySystem } from '../../shared/audit/audit-record';
import type { Passkey } from '../../shared/identity/passkeys/passkey';
import { newId } from '../../shared/ids';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const ORG = newId('org');
const USER = newId('usr');
const audit = (action: string): AuditRecord =>
  auditBySystem({ action, actor: 'test', orgId: ORG, targets: [], requestId: 'r', at: new Date() });
const aPasskey = (extra: Partial<Passkey> = {}): Passkey => ({
  id: newId('pkey'),
  orgId: ORG,
  userId: USER,
  credentialId: newId('pkey'),
  publicKey: 'pQECAyYgASFYIA',
  counter: 0,
  transports: ['internal'],
  name: 'Laptop',
  backedUp: false,
  createdAt: new Date().toISOString(),
  lastUsedAt: null,
  ...extra,
});

describe('passkeys in DynamoDB', () => {
  it('keeps one credential for one user across the platform, and at most the limit per user', async () => {
    const store = new DynamoDbPasskeyStore(aws.docs, aws.tables);
    const first = aPasskey();
    await store.add(first, audit('mfa.passkey_added'), 2);
    expect(await store.lookup(first.credentialId)).toEqual({ orgId: ORG, userId: USER, passkeyId: first.id });
    // The same credential again, even for another org's user: refused, and the first stays whole.
    const other = newId('org');
    await expect(
      store.add(aPasskey({ orgId: other, credentialId: first.credentialId }), audit('x'), 2),
    ).rejects.toMatchObject({ status: 409 });
    expect(await store.lookup(first.credentialId)).toEqual({ orgId: ORG, userId: USER, passkeyId: first.id });

    await store.add(aPasskey(), audit('mfa.passkey_added'), 2);
    const third = aPasskey();
    await expect(store.add(third, audit('mfa.passkey_added'), 2)).rejects.toMatchObject({ status: 409 });
    // The refused one left no lookup behind.
    expect(await store.lookup(third.credentialId)).toBeNull();
    expect((await store.listOf(ORG, USER)).map((p) => p.name)).toEqual(['Laptop', 'Laptop']);

    await store.remove(first, audit('mfa.passkey_removed'));
    expect(await store.lookup(first.credentialId)).toBeNull();
    expect(await store.get(ORG, USER, first.id)).toBeNull();
    await store.add(third, audit('mfa.passkey_added'), 2);
    expect(await store.listOf(ORG, USER)).toHaveLength(2);
  });

  it('moves the counter on only upwards, or keeps it at zero for an authenticator that keeps none', async () => {
    const store = new DynamoDbPasskeyStore(aws.docs, aws.tables);
    const counting = aPasskey({ userId: newId('usr') });
    await store.add(counting, audit('mfa.passkey_added'), 10);
    expect(await store.recordUse(counting, 3, '2026-12-03T12:00:00.000Z')).toBe(true);
    expect(await store.recordUse(counting, 3, '2026-12-03T12:01:00.000Z')).toBe(false);
    expect(await store.recordUse(counting, 2, '2026-12-03T12:01:00.000Z')).toBe(false);
    expect(await store.recordUse(counting, 0, '2026-12-03T12:01:00.000Z')).toBe(false);
    expect(await store.get(ORG, counting.userId, counting.id)).toMatchObject({
      counter: 3,
      lastUsedAt: '2026-12-03T12:00:00.000Z',
    });
    const zero = aPasskey({ userId: newId('usr') });
    await store.add(zero, audit('mfa.passkey_added'), 10);
    expect(await store.recordUse(zero, 0, '2026-12-03T12:00:00.000Z')).toBe(true);
    expect(await store.recordUse(zero, 0, '2026-12-03T12:01:00.000Z')).toBe(true);
  });

  it('spends each challenge once, a registration only for its user, and none once expired', async () => {
    const challenges = new DynamoDbPasskeyChallenges(aws.docs, aws.tables.domainTable);
    const now = new Date('2026-12-03T12:00:00.000Z');
    const later = new Date(now.getTime() + 300_000);
    await challenges.putRegistration(ORG, USER, 'reg-challenge', later);
    expect(await challenges.takeRegistration(ORG, newId('usr'), now)).toBeNull();
    expect(await challenges.takeRegistration(ORG, USER, now)).toBe('reg-challenge');
    expect(await challenges.takeRegistration(ORG, USER, now)).toBeNull();
    await challenges.putRegistration(ORG, USER, 'late', later);
    expect(await challenges.takeRegistration(ORG, USER, new Date(later.getTime() + 1))).toBeNull();

    await challenges.putSignIn('sign-in-challenge', later);
    const spent = await Promise.all([1, 2, 3].map(() => challenges.takeSignIn('sign-in-challenge', now)));
    expect(spent.filter(Boolean)).toHaveLength(1);
    await challenges.putSignIn('expired', later);
    expect(await challenges.takeSignIn('expired', new Date(later.getTime() + 1))).toBe(false);
    expect(await challenges.takeSignIn('never-issued', now)).toBe(false);
    // A sign-in's challenge is kept by its hash, under the platform prefix.
    const items = (await aws.docs.send(new ScanCommand({ TableName: aws.tables.domainTable }))).Items ?? [];
    expect(JSON.stringify(items)).not.toContain('sign-in-challenge');
  });
});
