import { SessionExpiredError, SessionRevokedError } from '../../../../shared/errors';
import type { SessionState } from '../../../../shared/identity/session';
import type { SessionRequest } from '../../../../shared/identity/session-gate';
import { SessionGate } from '../../../../shared/identity/session-gate';
import { sessionIdOf } from '../../../../shared/identity/session-id';
import type { SessionUse } from '../../../../shared/ports/stores';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const signedIn = Math.floor(Date.now() / 1000) - 120;

class FakeSessions {
  state: SessionState = { session: null, revokedBefore: null };
  reads = 0;
  uses: { use: SessionUse; dueBefore: Date }[] = [];
  failWrites = false;
  async stateOf(): Promise<SessionState> {
    this.reads++;
    return this.state;
  }
  store = {
    state: () => this.stateOf(),
    recordUse: async (use: SessionUse, dueBefore: Date) => {
      if (this.failWrites) throw new Error('throttled');
      this.uses.push({ use, dueBefore });
    },
  };
}

const request = (overrides: Partial<SessionRequest> = {}): SessionRequest => ({
  orgId: ORG,
  userId: ADA,
  authTime: signedIn,
  signInMethod: 'password',
  ip: '203.0.113.9',
  userAgent: 'hub-cli/1',
  idleMinutes: null,
  at: new Date(),
  ...overrides,
});

describe("the gate's sessions", () => {
  it('records a session on its first request and then at most once a minute', async () => {
    const fake = new FakeSessions();
    const gate = new SessionGate(fake.store);
    const t0 = Date.now();
    for (const offset of [0, 10_000, 59_000, 61_000]) {
      const { recorded, sessionId } = await gate.admit(request({ at: new Date(t0 + offset) }));
      await recorded;
      expect(sessionId).toBe(sessionIdOf(ORG, ADA, signedIn));
    }
    expect(fake.uses.map((u) => u.use.at.getTime() - t0)).toEqual([0, 61_000]);
    expect(fake.uses[0]?.use).toMatchObject({
      orgId: ORG,
      userId: ADA,
      sessionId: sessionIdOf(ORG, ADA, signedIn),
      signInMethod: 'password',
      ip: '203.0.113.9',
      userAgent: 'hub-cli/1',
    });
    // Other environments' writes within the minute are refused by the store's condition.
    expect(fake.uses[0]?.dueBefore.getTime()).toBe(t0 - 60_000);
  });

  it('refuses a revoked session once its cached read has expired, and not before', async () => {
    const fake = new FakeSessions();
    const gate = new SessionGate(fake.store, { stateTtlMs: 50 });
    await gate.admit(request());
    fake.state = { session: null, revokedBefore: new Date().toISOString() };
    // Within the cache's few seconds the gate still trusts its read.
    await expect(gate.admit(request())).resolves.toBeDefined();
    expect(fake.reads).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    await expect(gate.admit(request())).rejects.toBeInstanceOf(SessionRevokedError);
    // A sign-in after the marker is another session, admitted.
    await expect(gate.admit(request({ authTime: Math.floor(Date.now() / 1000) + 1 }))).resolves.toBeDefined();
  });

  it('reads again at once after forgetting a user whose sessions it revoked', async () => {
    const fake = new FakeSessions();
    const gate = new SessionGate(fake.store);
    await gate.admit(request());
    fake.state = { session: null, revokedBefore: new Date().toISOString() };
    gate.forget(ORG, ADA);
    await expect(gate.admit(request())).rejects.toThrow(/begun before/);
  });

  it('refuses a session idle longer than the org allows, counting its last recorded use and its sign-in', async () => {
    const fake = new FakeSessions();
    const gate = new SessionGate(fake.store);
    const now = Date.now();
    const lastSeen = new Date(now - 31 * 60_000).toISOString();
    fake.state = {
      session: {
        id: sessionIdOf(ORG, ADA, signedIn - 3600),
        orgId: ORG,
        userId: ADA,
        signInMethod: 'password',
        userAgent: null,
        ip: '203.0.113.9',
        startedAt: new Date((signedIn - 3600) * 1000).toISOString(),
        lastSeenAt: lastSeen,
      },
      revokedBefore: null,
    };
    const old = request({ authTime: signedIn - 3600, idleMinutes: 30, at: new Date(now) });
    await expect(gate.admit(old)).rejects.toBeInstanceOf(SessionExpiredError);
    await expect(gate.admit(old)).rejects.toThrow(/idle longer than the organisation's 30 minutes/);
    // No idle timeout: the same session is admitted.
    await expect(gate.admit({ ...old, idleMinutes: null })).resolves.toBeDefined();
    // A session signed in two minutes ago and never seen is not idle.
    const fresh = new SessionGate(new FakeSessions().store);
    await expect(fresh.admit(request({ idleMinutes: 30 }))).resolves.toBeDefined();
    // One never seen, signed in longer ago than the idle timeout, is idle since its sign-in.
    await expect(
      fresh.admit(request({ authTime: Math.floor(now / 1000) - 31 * 60, idleMinutes: 30 })),
    ).rejects.toBeInstanceOf(SessionExpiredError);
  });

  it('admits a request whose write of the session failed, and tries the write again on the next', async () => {
    const fake = new FakeSessions();
    fake.failWrites = true;
    const gate = new SessionGate(fake.store);
    await (await gate.admit(request())).recorded;
    fake.failWrites = false;
    await (await gate.admit(request())).recorded;
    expect(fake.uses).toHaveLength(1);
  });
});

describe("the gate's re-check of a standing grant", () => {
  it('refuses a revoked session without recording a use', async () => {
    const fake = new FakeSessions();
    const gate = new SessionGate(fake.store);
    await (await gate.admit(request({ record: false }))).recorded;
    expect(fake.uses).toEqual([]);
    fake.state = { session: null, revokedBefore: new Date().toISOString() };
    gate.forget(ORG, ADA);
    await expect(gate.admit(request({ record: false }))).rejects.toBeInstanceOf(SessionRevokedError);
  });
});
