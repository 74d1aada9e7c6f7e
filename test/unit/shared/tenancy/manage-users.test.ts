import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { ConflictError, DependencyUnavailableError } from '../../../../shared/errors';
import type { Principal } from '../../../../shared/identity/principal';
import type { SessionRevoker } from '../../../../shared/ports/session-revoker';
import type { UserStore } from '../../../../shared/ports/stores';
import { makeSetUserStatus } from '../../../../shared/tenancy/manage-users';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const owner: Principal = {
  kind: 'org_member',
  type: 'api_key',
  id: 'key_1',
  name: 'owner',
  orgId: ORG,
  role: 'owner',
};
const request = { requestId: 'r1', ip: '203.0.113.9', userAgent: 'jest' };

/** What happened, in order: the store's writes and the identity provider's sign-outs. */
function world(signOut: (email: string) => Promise<void> = async () => undefined) {
  const events: string[] = [];
  let user: User = {
    id: ADA,
    orgId: ORG,
    email: 'ada@acme.test',
    name: 'Ada',
    role: 'admin',
    status: 'active',
    createdAt: '2026-11-01T00:00:00.000Z',
    createdBy: 'key_1',
  };
  const users = {
    get: async () => user,
    setStatus: async (next: User, _expected: User['status'], audit: AuditRecord) => {
      user = next;
      events.push(`${audit.action} ${next.status}`);
    },
  } as unknown as UserStore;
  const sessions: SessionRevoker = {
    signOut: async (u) => {
      events.push(`sign-out ${u.email}`);
      await signOut(u.email);
    },
  };
  const setStatus = makeSetUserStatus({
    users,
    clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    mayGrant: async () => undefined,
    sessions,
  });
  return { events, setStatus, user: () => user };
}

describe('deactivating a user', () => {
  it('records the deactivation, then signs the user out of the identity provider by their email', async () => {
    const w = world();
    expect((await w.setStatus(ORG, ADA, 'deactivated', owner, request)).status).toBe('deactivated');
    expect(w.events).toEqual(['user.deactivated deactivated', 'sign-out ada@acme.test']);
    await w.setStatus(ORG, ADA, 'active', owner, request);
    expect(w.events.slice(2)).toEqual(['user.reactivated active']);
  });

  it('keeps the deactivation when the sign-out fails, says so with 503, and signs out again when asked again', async () => {
    let failing = true;
    const w = world(async () => {
      if (failing) throw new Error('throttled');
    });
    const failed = w.setStatus(ORG, ADA, 'deactivated', owner, request);
    await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(failed).rejects.toThrow(/is deactivated.*deactivate them again to retry/);
    expect(w.user().status).toBe('deactivated');
    failing = false;
    // The retry: the sign-out is made again before the answer that the user already is deactivated.
    await expect(w.setStatus(ORG, ADA, 'deactivated', owner, request)).rejects.toBeInstanceOf(ConflictError);
    expect(w.events).toEqual([
      'user.deactivated deactivated',
      'sign-out ada@acme.test',
      'sign-out ada@acme.test',
    ]);
  });
});
