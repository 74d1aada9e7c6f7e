import { validatePolicy } from '../../../../shared/authz/cedar-engine';
import type { AccessFacts, AccessRequest } from '../../../../shared/authz/evaluate-access';
import { evaluateAccess } from '../../../../shared/authz/evaluate-access';
import type { AccessPolicy, OrgAccess } from '../../../../shared/authz/org-access';
import type { Permission } from '../../../../shared/identity/permissions';
import type { Team } from '../../../../shared/tenancy/team';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const at = new Date('2026-11-27T10:00:00Z'); // a Friday, 10:00 UTC

const team = (id: string, parentId: string | null, depth: number): Team => ({
  id,
  orgId: ORG,
  name: id,
  parentId,
  depth,
  createdAt: at.toISOString(),
});
const teams = [team('team_eng', null, 1), team('team_platform', 'team_eng', 2), team('team_web', null, 1)];

const policy = (id: string, statement: string): AccessPolicy => ({
  id,
  description: '',
  statement,
  createdAt: at.toISOString(),
});

const request = (overrides: {
  role?: string;
  type?: 'user' | 'api_key';
  mfa?: boolean;
  /** Minutes since the sign-in. @default 1 */
  signedInMinutesAgo?: number;
  stepUpMinutes?: number;
  permission?: Permission;
  path?: Record<string, string>;
  ip?: string;
  when?: Date;
}): AccessRequest => ({
  principal: {
    kind: 'org_member',
    type: overrides.type ?? 'user',
    id: 'usr_ada',
    name: 'ada@acme.test',
    orgId: ORG,
    role: overrides.role ?? 'admin',
    mfa: overrides.mfa ?? false,
    authTime: Math.floor(
      ((overrides.when ?? at).getTime() - (overrides.signedInMinutesAgo ?? 1) * 60_000) / 1000,
    ),
  },
  permission: overrides.permission ?? 'api_keys:revoke',
  operation: 'op',
  path: { orgId: ORG, ...overrides.path },
  ip: overrides.ip ?? '10.1.2.3',
  at: overrides.when ?? at,
  ...(overrides.stepUpMinutes !== undefined ? { stepUpMinutes: overrides.stepUpMinutes } : {}),
});

const facts = (overrides: Partial<AccessFacts> = {}): AccessFacts => ({
  teams,
  memberships: [],
  principalKey: null,
  resourceUser: null,
  resourceKey: null,
  ...overrides,
});

const access = (...policies: AccessPolicy[]): OrgAccess => ({ roles: [], policies });

describe('access decisions: roles, custom roles and Cedar policies', () => {
  it('lets roles decide alone when the org has no policies', () => {
    expect(evaluateAccess(request({ role: 'admin' }), access(), null).allowed).toBe(true);
    expect(evaluateAccess(request({ role: 'viewer' }), access(), null)).toEqual({
      allowed: false,
      reason: expect.stringContaining('api_keys:revoke'),
    });
  });

  it("lets policies see the hub user's email, never the name a token offered", () => {
    const contractors = access(
      policy(
        'no-contractors',
        'forbid (principal is Hub::User, action, resource) when { principal.email like "*@contractor.test" };',
      ),
    );
    // The name is what a token could claim; the email is the one the gate read from the hub user.
    const claimed = { ...request({}).principal, name: 'ada@acme.test', email: 'mallory@contractor.test' };
    expect(evaluateAccess({ ...request({}), principal: claimed }, contractors, facts()).allowed).toBe(false);
    const honest = { ...claimed, name: 'mallory@contractor.test', email: 'ada@acme.test' };
    expect(evaluateAccess({ ...request({}), principal: honest }, contractors, facts()).allowed).toBe(true);
  });

  it('grants what a custom role lists and nothing else; a deleted custom role grants nothing', () => {
    const custom: OrgAccess = {
      roles: [
        {
          id: 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
          name: 'key keeper',
          description: '',
          permissions: ['api_keys:revoke'],
          createdAt: at.toISOString(),
        },
      ],
      policies: [],
    };
    const role = 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
    expect(evaluateAccess(request({ role }), custom, null).allowed).toBe(true);
    expect(evaluateAccess(request({ role, permission: 'org:update' }), custom, null).allowed).toBe(false);
    expect(evaluateAccess(request({ role }), access(), null).allowed).toBe(false);
  });

  it('narrows a role with a forbid policy on MFA, and says which policy denied', () => {
    const org = access(
      policy(
        'mfa-to-revoke',
        'forbid (principal, action == Hub::Action::"api_keys:revoke", resource) unless { context.mfa };',
      ),
    );
    expect(evaluateAccess(request({ mfa: false }), org, facts())).toEqual({
      allowed: false,
      reason: "Denied by the organisation's policy mfa-to-revoke",
    });
    expect(evaluateAccess(request({ mfa: true }), org, facts()).allowed).toBe(true);
    expect(evaluateAccess(request({ mfa: false, permission: 'org:read' }), org, facts()).allowed).toBe(true);
  });

  it("counts a second factor for a step-up policy only within the org's step-up window", () => {
    const org = access(
      policy(
        'mfa-to-revoke',
        'forbid (principal, action == Hub::Action::"api_keys:revoke", resource) unless { context.mfa };',
      ),
    );
    // The default window is 15 minutes: a sign-in with MFA 14 minutes ago is recent, 16 is not.
    expect(evaluateAccess(request({ mfa: true, signedInMinutesAgo: 14 }), org, facts()).allowed).toBe(true);
    expect(evaluateAccess(request({ mfa: true, signedInMinutesAgo: 16 }), org, facts()).allowed).toBe(false);
    // The org's own window decides when it is set.
    expect(
      evaluateAccess(request({ mfa: true, signedInMinutesAgo: 16, stepUpMinutes: 60 }), org, facts()).allowed,
    ).toBe(true);
    expect(
      evaluateAccess(request({ mfa: true, signedInMinutesAgo: 6, stepUpMinutes: 5 }), org, facts()).allowed,
    ).toBe(false);
    // A fresh sign-in without a second factor never steps up.
    expect(evaluateAccess(request({ mfa: false, signedInMinutesAgo: 0 }), org, facts()).allowed).toBe(false);
  });

  it("keeps the hub's base policy whatever id an org policy takes: a policy named like it replaces nothing", () => {
    const org = access(
      policy(
        'hub-role-based-access',
        'permit (principal == Hub::User::"usr_other", action == Hub::Action::"policies:manage", resource);',
      ),
    );
    expect(evaluateAccess(request({ role: 'owner', permission: 'org:delete' }), org, facts()).allowed).toBe(
      true,
    );
    expect(
      evaluateAccess(request({ role: 'admin', permission: 'api_keys:revoke' }), org, facts()).allowed,
    ).toBe(true);
  });

  it("lets no policy lock an owner out of the org's policies, though it narrows everything else", () => {
    const org = access(
      policy(
        'lockout',
        'forbid (principal, action, resource) unless { principal == Hub::User::"usr_admin" };',
      ),
    );
    expect(
      evaluateAccess(request({ role: 'owner', permission: 'policies:manage' }), org, facts()).allowed,
    ).toBe(true);
    expect(evaluateAccess(request({ role: 'owner', permission: 'org:delete' }), org, facts()).allowed).toBe(
      false,
    );
    expect(
      evaluateAccess(request({ role: 'admin', permission: 'policies:manage' }), org, facts()).allowed,
    ).toBe(false);
  });

  it('restricts by IP range and by time of day', () => {
    const org = access(
      policy(
        'office-only',
        'forbid (principal, action, resource) unless { context.ip.isInRange(ip("10.0.0.0/8")) };',
      ),
      policy(
        'working-hours',
        'forbid (principal, action, resource) unless { context.hourUtc >= 7 && context.hourUtc < 19 };',
      ),
    );
    expect(evaluateAccess(request({ ip: '10.9.9.9' }), org, facts()).allowed).toBe(true);
    expect(evaluateAccess(request({ ip: '203.0.113.7' }), org, facts()).reason).toContain('office-only');
    expect(
      evaluateAccess(request({ when: new Date('2026-11-27T23:00:00Z') }), org, facts()).reason,
    ).toContain('working-hours');
  });

  it('widens a role with a permit on team membership, down the team hierarchy', () => {
    const org = access(
      policy(
        'eng-manages-eng',
        'permit (principal, action == Hub::Action::"teams:manage", resource) when { principal in Hub::Team::"team_eng" && resource in Hub::Team::"team_eng" };',
      ),
    );
    const member = { memberships: [{ teamId: 'team_eng', userId: 'usr_ada', role: 'member' as const }] };
    const ask = (teamId: string) =>
      evaluateAccess(
        request({ role: 'viewer', permission: 'teams:manage', path: { teamId } }),
        org,
        facts(member),
      );
    expect(ask('team_platform').allowed).toBe(true);
    expect(ask('team_eng').allowed).toBe(true);
    expect(ask('team_web').allowed).toBe(false);
    expect(
      evaluateAccess(
        request({ role: 'viewer', permission: 'teams:manage', path: { teamId: 'team_platform' } }),
        org,
        facts(),
      ).allowed,
    ).toBe(false);
  });

  it("lets a key's owner revoke it through a policy on the resource's owner", () => {
    const org = access(
      policy(
        'owners-revoke-their-keys',
        'permit (principal, action == Hub::Action::"api_keys:revoke", resource is Hub::ApiKey) when { resource.owner == principal.id };',
      ),
    );
    const key = (createdBy: string) => ({
      id: 'key_1',
      orgId: ORG,
      name: 'k',
      role: 'viewer',
      display: 'hub_…abcd',
      createdAt: at.toISOString(),
      createdBy,
      ownerUserId: null,
      expiresAt: null,
      status: 'active' as const,
    });
    const ask = (createdBy: string) =>
      evaluateAccess(
        request({ role: 'viewer', path: { keyId: 'key_1' } }),
        org,
        facts({ resourceKey: key(createdBy) }),
      ).allowed;
    expect(ask('usr_ada')).toBe(true);
    expect(ask('usr_bob')).toBe(false);
  });
});

describe('policy validation on write', () => {
  it('accepts a policy that validates against the schema', () => {
    expect(
      validatePolicy('forbid (principal is Hub::ApiKey, action, resource) unless { context.mfa };'),
    ).toEqual([]);
  });

  it('refuses unparsable text, unknown attributes and actions, and more than one policy', () => {
    expect(validatePolicy('permit (')).not.toEqual([]);
    // Said once, not once per action the policy applies to.
    expect(
      validatePolicy('forbid (principal, action, resource) when { context.weather == "rain" };'),
    ).toEqual([expect.stringMatching(/^attribute `weather` in context not found/)]);
    expect(
      validatePolicy('permit (principal, action == Hub::Action::"launch:missiles", resource);'),
    ).not.toEqual([]);
    expect(
      validatePolicy('permit (principal, action, resource); forbid (principal, action, resource);').join(),
    ).toMatch(/exactly one/);
  });
});
