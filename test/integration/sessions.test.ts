import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbSessionStore } from '../../shared/adapters/dynamodb/dynamodb-session-store';
import { auditChange } from '../../shared/audit/audit-record';
import { NotFoundError } from '../../shared/errors';
import { sessionIdOf } from '../../shared/identity/session-id';
import type { SessionUse } from '../../shared/ports/stores';
import { member } from '../support/api-events';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const OTHER_ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EB';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const signedIn = Math.floor(Date.now() / 1000) - 600;
const request = { requestId: 'req-it', ip: '127.0.0.1', userAgent: 'jest' };

const use = (overrides: Partial<SessionUse> = {}): SessionUse => {
  const authTime = overrides.authTime ?? signedIn;
  return {
    orgId: ORG,
    userId: ADA,
    sessionId: sessionIdOf(overrides.orgId ?? ORG, ADA, authTime),
    signInMethod: 'password',
    authTime,
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0',
    at: new Date(),
    ...overrides,
  };
};
const audit = (orgId: string) =>
  auditChange({
    action: 'session.revoked',
    principal: member(orgId),
    orgId,
    targets: [{ type: 'user', id: ADA }],
    request,
    at: new Date(),
  });

describe('the DynamoDB session store', () => {
  it('creates a session on its first use and writes its last use at most once an interval', async () => {
    const store = new DynamoDbSessionStore(aws.docs, aws.tables);
    const first = use({ at: new Date(Date.now() - 30_000) });
    await store.recordUse(first, new Date(first.at.getTime() - 60_000));
    // Another environment, 20 s later: the last use is within the minute, so nothing is written.
    const soon = use({ at: new Date(Date.now() - 10_000), ip: '198.51.100.1' });
    await store.recordUse(soon, new Date(soon.at.getTime() - 60_000));
    let { session } = await store.state(ORG, ADA, first.sessionId);
    expect(session).toMatchObject({
      id: first.sessionId,
      orgId: ORG,
      userId: ADA,
      signInMethod: 'password',
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0',
      startedAt: new Date(signedIn * 1000).toISOString(),
      lastSeenAt: first.at.toISOString(),
    });
    // Once the interval has passed, the use is written (the sign-in method and start stay).
    const later = use({ ip: '198.51.100.1', signInMethod: 'changed' });
    await store.recordUse(later, new Date(later.at.getTime() - 20_000));
    ({ session } = await store.state(ORG, ADA, first.sessionId));
    expect(session).toMatchObject({
      ip: '198.51.100.1',
      lastSeenAt: later.at.toISOString(),
      signInMethod: 'password',
    });
    const item = await aws.docs.send(
      new QueryCommand({
        TableName: aws.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${ORG}#SESSION` },
      }),
    );
    // It expires (TTL) after the longest lifetime any org allows.
    expect(item.Items?.[0]?.expiresAt).toBe(signedIn + 8 * 24 * 3600);
  });

  it('revokes one session, which no later use brings back, and refuses to revoke it twice', async () => {
    const store = new DynamoDbSessionStore(aws.docs, aws.tables);
    const one = use({ authTime: signedIn + 1 });
    await store.recordUse(one, new Date(0));
    await store.revoke(ORG, ADA, one.sessionId, new Date().toISOString(), 'usr_x', audit(ORG));
    await store.recordUse(use({ authTime: signedIn + 1, at: new Date(Date.now() + 120_000) }), new Date());
    const { session } = await store.state(ORG, ADA, one.sessionId);
    expect(session?.revokedAt).toBeDefined();
    expect(session?.lastSeenAt).toBe(one.at.toISOString());
    await expect(
      store.revoke(ORG, ADA, one.sessionId, new Date().toISOString(), 'usr_x', audit(ORG)),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      store.revoke(ORG, ADA, sessionIdOf(ORG, ADA, 1), new Date().toISOString(), 'usr_x', audit(ORG)),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps the latest "revoked before" marker of a user, and only in their own org', async () => {
    const store = new DynamoDbSessionStore(aws.docs, aws.tables);
    const later = '2026-12-03T12:00:00.000Z';
    await store.revokeAll(ORG, ADA, later, 'usr_x', audit(ORG));
    await store.revokeAll(ORG, ADA, '2026-12-03T11:00:00.000Z', 'usr_x', audit(ORG));
    expect((await store.state(ORG, ADA, sessionIdOf(ORG, ADA, signedIn))).revokedBefore).toBe(later);
    expect(
      (await store.state(OTHER_ORG, ADA, sessionIdOf(OTHER_ORG, ADA, signedIn))).revokedBefore,
    ).toBeNull();
  });

  it("lists a user's sessions newest sign-in first, and no marker among them", async () => {
    const store = new DynamoDbSessionStore(aws.docs, aws.tables);
    const user = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E7';
    for (const offset of [0, 5, 10]) {
      const u = use({ userId: user, authTime: signedIn + offset });
      await store.recordUse({ ...u, sessionId: sessionIdOf(ORG, user, signedIn + offset) }, new Date(0));
    }
    await store.revokeAll(ORG, user, new Date(0).toISOString(), 'usr_x', audit(ORG));
    const listed = await store.list(ORG, user, 100);
    expect(listed.revokedBefore).toBe(new Date(0).toISOString());
    expect(listed.sessions.map((s) => s.id)).toEqual(
      [10, 5, 0].map((offset) => sessionIdOf(ORG, user, signedIn + offset)),
    );
    expect((await store.list(ORG, user, 2)).sessions).toHaveLength(2);
  });
});
