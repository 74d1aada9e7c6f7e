import type { AuditRecord, RequestContext } from '../../../../shared/audit/audit-record';
import { makeDeletePolicy, makePutPolicy } from '../../../../shared/authz/manage-access';
import type { OrgAccess } from '../../../../shared/authz/org-access';
import { EMPTY_ACCESS } from '../../../../shared/authz/org-access';
import { ForbiddenError, ValidationError } from '../../../../shared/errors';
import type { Principal } from '../../../../shared/identity/principal';
import type { AccessStore } from '../../../../shared/ports/stores';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const POLICY_MANAGER_ROLE = 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E9';
const request: RequestContext = { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'jest' };
const clock = { now: () => new Date('2026-12-01T12:00:00Z') };

/** The org's access item as the store keeps it: versioned, with the audit trail of its changes. */
function accessStore(initial: Partial<OrgAccess> = {}) {
  let state = { value: { ...EMPTY_ACCESS, ...initial } as OrgAccess, version: 0 };
  const audit: AuditRecord[] = [];
  const store: AccessStore = {
    get: async () => state,
    save: async (_orgId, value, expected, record) => {
      if (expected !== state.version) throw new Error('version moved');
      state = { value, version: expected + 1 };
      audit.push(record);
    },
  };
  return { store, audit, policies: () => state.value.policies };
}

const user = (role: string): Principal => ({
  kind: 'org_member',
  type: 'user',
  id: `usr_${role}`,
  name: role,
  orgId: ORG,
  role,
  mfa: false,
});
const owner = user('owner');
const admin = user('admin');
const policyManager = user(POLICY_MANAGER_ROLE);
const roles = [
  {
    id: POLICY_MANAGER_ROLE,
    name: 'policy managers',
    description: '',
    permissions: ['policies:manage' as const],
    createdAt: '2026-12-01T00:00:00.000Z',
  },
];

const GRANT_ORG_DELETE = 'permit (principal, action == Hub::Action::"org:delete", resource);';
const GRANT_EVERYTHING = 'permit (principal, action, resource);';
const GRANT_ORG_DELETE_IN_LIST =
  'permit (principal, action in [Hub::Action::"org:read", Hub::Action::"org:delete"], resource);';
const FORBID_ORG_DELETE =
  'forbid (principal, action == Hub::Action::"org:delete", resource) unless { context.mfa };';
const GRANT_POLICY_READS = 'permit (principal, action == Hub::Action::"policies:read", resource);';

describe('writing a policy', () => {
  for (const [who, principal] of [
    ['an admin', admin],
    ['a custom role holding only policies:manage', policyManager],
  ] as const) {
    it(`refuses ${who} a permit that grants org:delete, however its scope names it`, async () => {
      const access = accessStore({ roles });
      const put = makePutPolicy({ access: access.store, clock });
      for (const statement of [GRANT_ORG_DELETE, GRANT_EVERYTHING, GRANT_ORG_DELETE_IN_LIST]) {
        const attempt = put(ORG, 'escalate', { statement }, principal, request);
        await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
        await expect(attempt).rejects.toThrow(/org:delete/);
      }
      expect(access.policies()).toEqual([]);
      expect(access.audit).toEqual([]);
    });
  }

  it('lets the owner grant org:delete, and a permit over every action', async () => {
    const access = accessStore({ roles });
    const put = makePutPolicy({ access: access.store, clock });
    await put(ORG, 'delete', { statement: GRANT_ORG_DELETE }, owner, request);
    await put(ORG, 'all', { statement: GRANT_EVERYTHING }, owner, request);
    expect(access.policies().map((p) => p.id)).toEqual(['delete', 'all']);
  });

  it('lets an admin write a permit within what it holds, and a forbid', async () => {
    const access = accessStore({ roles });
    const put = makePutPolicy({ access: access.store, clock });
    await put(ORG, 'reads', { statement: GRANT_POLICY_READS }, admin, request);
    await put(ORG, 'mfa-to-delete', { statement: FORBID_ORG_DELETE }, admin, request);
    expect(access.policies().map((p) => p.id)).toEqual(['reads', 'mfa-to-delete']);
  });

  it("refuses any policy that takes the id of the hub's base policy, even the owner's", async () => {
    const access = accessStore({ roles });
    const put = makePutPolicy({ access: access.store, clock });
    await expect(
      put(ORG, 'hub-role-based-access', { statement: GRANT_POLICY_READS }, owner, request),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(access.policies()).toEqual([]);
  });

  it('refuses a custom role a permit for a permission it lacks, even a harmless-looking one', async () => {
    const access = accessStore({ roles });
    const put = makePutPolicy({ access: access.store, clock });
    await expect(
      put(ORG, 'reads', { statement: GRANT_POLICY_READS }, policyManager, request),
    ).rejects.toThrow(/policies:read/);
  });
});

describe('changing or deleting a policy', () => {
  const withForbid = () =>
    accessStore({
      roles,
      policies: [
        {
          id: 'mfa-to-delete',
          description: '',
          statement: FORBID_ORG_DELETE,
          createdAt: '2026-12-01T00:00:00.000Z',
        },
      ],
    });

  for (const [who, principal] of [
    ['an admin', admin],
    ['a custom role holding only policies:manage', policyManager],
  ] as const) {
    it(`refuses ${who} deleting a forbid on org:delete, or rewriting it into something else`, async () => {
      const access = withForbid();
      const put = makePutPolicy({ access: access.store, clock });
      const remove = makeDeletePolicy({ access: access.store, clock });
      await expect(remove(ORG, 'mfa-to-delete', principal, request)).rejects.toBeInstanceOf(ForbiddenError);
      // The new text is harmless; lifting the old one is not.
      await expect(
        put(
          ORG,
          'mfa-to-delete',
          { statement: 'forbid (principal, action, resource) when { false };' },
          principal,
          request,
        ),
      ).rejects.toBeInstanceOf(ForbiddenError);
      expect(access.policies().map((p) => p.statement)).toEqual([FORBID_ORG_DELETE]);
    });
  }

  it("lets an admin change a forbid's description, which changes no access", async () => {
    const access = withForbid();
    const put = makePutPolicy({ access: access.store, clock });
    await put(
      ORG,
      'mfa-to-delete',
      { statement: FORBID_ORG_DELETE, description: 'MFA to delete' },
      admin,
      request,
    );
    expect(access.policies()).toMatchObject([{ statement: FORBID_ORG_DELETE, description: 'MFA to delete' }]);
  });

  it('refuses an admin turning a permit it may write into one that grants org:delete', async () => {
    const access = accessStore({ roles });
    const put = makePutPolicy({ access: access.store, clock });
    await put(ORG, 'p', { statement: GRANT_POLICY_READS }, admin, request);
    await expect(put(ORG, 'p', { statement: GRANT_ORG_DELETE }, admin, request)).rejects.toThrow(
      /org:delete/,
    );
    expect(access.policies().map((p) => p.statement)).toEqual([GRANT_POLICY_READS]);
  });

  it('lets the owner delete the forbid, and a custom role delete a permit (which only narrows)', async () => {
    const access = withForbid();
    const put = makePutPolicy({ access: access.store, clock });
    const remove = makeDeletePolicy({ access: access.store, clock });
    await remove(ORG, 'mfa-to-delete', owner, request);
    await put(ORG, 'delete', { statement: GRANT_ORG_DELETE }, owner, request);
    await remove(ORG, 'delete', policyManager, request);
    expect(access.policies()).toEqual([]);
    expect(access.audit.map((a) => a.action)).toEqual(['policy.deleted', 'policy.created', 'policy.deleted']);
  });
});
