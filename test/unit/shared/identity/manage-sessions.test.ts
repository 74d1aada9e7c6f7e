import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { makeRoleGuard } from '../../../../shared/authz/role-guard';
import { DependencyUnavailableError, ForbiddenError, NotFoundError } from '../../../../shared/errors';
import {
  makeListSessions,
  makeRevokeAllSessions,
  makeRevokeSession,
  sessionUserOf,
} from '../../../../shared/identity/manage-sessions';
import type { Principal } from '../../../../shared/identity/principal';
import type { Session } from '../../../../shared/identity/session';
import { sessionIdOf } from '../../../../shared/identity/session-id';
import type { Org } from '../../../../shared/tenancy/org';
import { OrgSchema } from '../../../../shared/tenancy/org';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const BO = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const now = new Date('2026-12-03T12:00:00.000Z');
const clock = { now: () => now };
const request = { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'jest' };
const secondsAgo = (s: number) => Math.floor(now.getTime() / 1000) - s;

const org = (settings: Record<string, unknown> = {}): Org =>
  OrgSchema.parse({
    id: ORG,
    name: 'Acme',
    slug: 'acme',
    status: 'active',
    createdAt: now.toISOString(),
    settings,
  });
const user = (id: string, role: User['role']): User => ({
  id,
  orgId: ORG,
  email: `${id}@acme.test`,
  name: id,
  role,
  status: 'active',
  createdAt: now.toISOString(),
  createdBy: 'key_1',
});
const userToken = (id: string, role: string, authTime: number): Principal => ({
  kind: 'org_member',
  type: 'user',
  id,
  name: id,
  orgId: ORG,
  role,
  authTime,
});
const session = (userId: string, authTime: number, overrides: Partial<Session> = {}): Session => ({
  id: sessionIdOf(ORG, userId, authTime),
  orgId: ORG,
  userId,
  signInMethod: 'password',
  userAgent: 'Mozilla/5.0',
  ip: '203.0.113.9',
  startedAt: new Date(authTime * 1000).toISOString(),
  lastSeenAt: new Date(authTime * 1000).toISOString(),
  ...overrides,
});

class Fakes {
  org = org();
  people = new Map<string, User>([
    [ADA, user(ADA, 'member')],
    [BO, user(BO, 'owner')],
  ]);
  stored: Session[] = [];
  revokedBefore: string | null = null;
  trail: AuditRecord[] = [];
  signedOut: string[] = [];
  signOutFails = false;
  forgotten: string[] = [];
  orgs = { get: async () => this.org };
  users = { get: async (_org: string, id: string) => this.people.get(id) ?? null };
  sessions = {
    list: async () => ({ sessions: this.stored, revokedBefore: this.revokedBefore }),
    revoke: async (
      _o: string,
      userId: string,
      sessionId: string,
      at: string,
      _by: string,
      audit: AuditRecord,
    ) => {
      const found = this.stored.find((s) => s.userId === userId && s.id === sessionId && !s.revokedAt);
      if (!found) throw new NotFoundError(`No active session ${sessionId}`);
      this.stored = this.stored.map((s) => (s === found ? { ...s, revokedAt: at } : s));
      this.trail.push(audit);
    },
    revokeAll: async (_o: string, _u: string, before: string, _by: string, audit: AuditRecord) => {
      this.revokedBefore = before;
      this.trail.push(audit);
    },
  };
  revoker = {
    signOut: async (u: Pick<User, 'email'>) => {
      if (this.signOutFails) throw new Error('Cognito is down');
      this.signedOut.push(u.email);
    },
  };
  gate = { forget: (orgId: string, userId: string) => this.forgotten.push(`${orgId}/${userId}`) };
  mayGrant = makeRoleGuard({ get: async () => ({ value: { roles: [], policies: [] }, version: 0 }) });
}

describe("listing a user's sessions", () => {
  it('shows active ones only, newest first, with the caller’s own marked current', async () => {
    const f = new Fakes();
    f.org = org({ sessionLifetimeMinutes: 60, sessionIdleMinutes: 15 });
    const mine = secondsAgo(300);
    f.stored = [
      session(ADA, mine, { lastSeenAt: now.toISOString() }),
      session(ADA, secondsAgo(600), { lastSeenAt: now.toISOString() }),
      session(ADA, secondsAgo(900), { revokedAt: now.toISOString() }),
      // Idle for 20 minutes, and past the lifetime: neither is listed.
      session(ADA, secondsAgo(1800), { lastSeenAt: new Date(now.getTime() - 20 * 60_000).toISOString() }),
      session(ADA, secondsAgo(2 * 3600), { lastSeenAt: now.toISOString() }),
    ];
    const list = makeListSessions({ ...f, clock });
    const { items } = await list(ORG, ADA, userToken(ADA, 'member', mine));
    expect(items.map((s) => [s.id, s.current])).toEqual([
      [sessionIdOf(ORG, ADA, mine), true],
      [sessionIdOf(ORG, ADA, secondsAgo(600)), false],
    ]);
    expect(items[0]).not.toHaveProperty('revokedAt');
    expect(items[0]).toMatchObject({ signInMethod: 'password', userAgent: 'Mozilla/5.0', ip: '203.0.113.9' });
    // Behind a "sign out everywhere", none is.
    f.revokedBefore = now.toISOString();
    expect((await list(ORG, ADA, userToken(ADA, 'member', mine))).items).toEqual([]);
  });

  it('answers 404 for a user the org does not have', async () => {
    const f = new Fakes();
    const list = makeListSessions({ ...f, clock });
    await expect(
      list(ORG, 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9', userToken(BO, 'owner', 1)),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives /me only to a signed-in user, never to an API key', () => {
    expect(sessionUserOf(userToken(ADA, 'member', 1))).toBe(ADA);
    const key: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'ci',
      orgId: ORG,
      role: 'owner',
    };
    expect(() => sessionUserOf(key)).toThrow(ForbiddenError);
  });
});

describe('revoking sessions', () => {
  it('revokes one session, audited as session.revoked, and forgets the gate’s read of it', async () => {
    const f = new Fakes();
    const authTime = secondsAgo(60);
    f.stored = [session(ADA, authTime)];
    const revoke = makeRevokeSession({ ...f, clock });
    const id = sessionIdOf(ORG, ADA, authTime);
    await revoke(ORG, ADA, id, userToken(ADA, 'member', authTime), request);
    expect(f.trail.map((r) => [r.action, r.targets, r.after])).toEqual([
      [
        'session.revoked',
        [
          { type: 'session', id },
          { type: 'user', id: ADA },
        ],
        { scope: 'session' },
      ],
    ]);
    expect(f.forgotten).toEqual([`${ORG}/${ADA}`]);
    await expect(revoke(ORG, ADA, id, userToken(ADA, 'member', authTime), request)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('revokes every session of a user, then signs them out of the identity provider', async () => {
    const f = new Fakes();
    const revokeAll = makeRevokeAllSessions({ ...f, clock });
    await revokeAll(ORG, ADA, userToken(ADA, 'member', secondsAgo(60)), request);
    expect(f.revokedBefore).toBe(now.toISOString());
    expect(f.signedOut).toEqual([`${ADA}@acme.test`]);
    expect(f.trail[0]).toMatchObject({
      action: 'session.revoked',
      targets: [{ type: 'user', id: ADA }],
      after: { scope: 'all', revokedBefore: now.toISOString() },
    });
  });

  it("lets an admin revoke a member's sessions, and not an owner's", async () => {
    const f = new Fakes();
    const revokeAll = makeRevokeAllSessions({ ...f, clock });
    const admin = userToken('usr_01JD3Q4ZK8M7X2V9N6B5C4D3E3', 'admin', secondsAgo(60));
    await revokeAll(ORG, ADA, admin, request);
    expect(f.signedOut).toEqual([`${ADA}@acme.test`]);
    await expect(revokeAll(ORG, BO, admin, request)).rejects.toBeInstanceOf(ForbiddenError);
    expect(f.signedOut).toHaveLength(1);
  });

  it('keeps the revocation and answers 503 when the identity provider cannot sign the user out', async () => {
    const f = new Fakes();
    f.signOutFails = true;
    const revokeAll = makeRevokeAllSessions({ ...f, clock });
    await expect(revokeAll(ORG, ADA, userToken(ADA, 'member', 1), request)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    expect(f.revokedBefore).toBe(now.toISOString());
  });
});
