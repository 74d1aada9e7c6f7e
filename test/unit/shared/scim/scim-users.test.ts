import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { UniquenessError } from '../../../../shared/errors';
import type { Principal } from '../../../../shared/identity/principal';
import type { ScimUserStore, TeamStore, UserStore } from '../../../../shared/ports/stores';
import { parseListQuery } from '../../../../shared/scim/query';
import type { ScimCaller } from '../../../../shared/scim/scim-caller';
import { ScimError } from '../../../../shared/scim/scim-error';
import type { ScimUserProfile } from '../../../../shared/scim/user-resource';
import { makeScimUsers } from '../../../../shared/scim/users';
import { OrgSchema } from '../../../../shared/tenancy/org';
import type { Team, TeamMembership } from '../../../../shared/tenancy/team';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const now = new Date('2026-12-03T12:00:00.000Z');
const principal: Principal = {
  kind: 'org_member',
  type: 'api_key',
  id: 'scim_1',
  name: 'SCIM token Okta',
  orgId: ORG,
  role: 'admin',
};
const caller: ScimCaller = {
  org: OrgSchema.parse({
    id: ORG,
    name: 'Acme',
    slug: 'acme',
    status: 'active',
    createdAt: now.toISOString(),
  }),
  principal,
  request: { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'Okta', channel: 'scim' },
  baseUrl: 'https://hub.test/scim/v2',
};

/** The stores' contract, kept in maps: enough to drive the use cases (the adapters have their own e2e). */
function world() {
  const users = new Map<string, User>();
  const profiles = new Map<string, ScimUserProfile>();
  const audits: AuditRecord[] = [];
  const signedOut: string[] = [];
  const teams = new Map<string, Team>();
  const memberships: TeamMembership[] = [];
  const teamStore: Pick<TeamStore, 'get' | 'all' | 'membershipsOf' | 'membersOf'> = {
    get: async (_org, id) => teams.get(id) ?? null,
    all: async () => [...teams.values()],
    membershipsOf: async (_org, userId) => memberships.filter((m) => m.userId === userId),
    membersOf: async (_org, teamId) => memberships.filter((m) => m.teamId === teamId),
  };
  const userStore: Pick<UserStore, 'get' | 'findByEmail' | 'list'> = {
    get: async (_org, id) => users.get(id) ?? null,
    findByEmail: async (_org, email) => [...users.values()].find((u) => u.email === email) ?? null,
    list: async () => ({ items: [...users.values()], nextCursor: null }),
  };
  const profileStore: ScimUserStore = {
    create: async (user, profile, audit) => {
      users.set(user.id, user);
      profiles.set(user.id, profile);
      audits.push(audit);
    },
    adopt: async (user, profile, audit) => {
      users.set(user.id, user);
      profiles.set(user.id, profile);
      audits.push(audit);
    },
    get: async (_org, id) => profiles.get(id) ?? null,
    userIdByUserName: async (_org, name) =>
      [...profiles.values()].find((p) => p.profile.userName.toLowerCase() === name.toLowerCase())?.userId ??
      null,
    all: async () => [...profiles.values()],
    replace: async (next, _previous, change, audit) => {
      const holder = change && [...users.values()].find((u) => u.email === change.user.email);
      if (holder && holder.id !== next.userId) throw new UniquenessError('taken');
      profiles.set(next.userId, next);
      if (change) users.set(change.user.id, change.user);
      audits.push(audit);
    },
    remove: async (profile, deactivate, audit) => {
      profiles.delete(profile.userId);
      if (deactivate) users.set(deactivate.id, deactivate);
      audits.push(audit);
    },
  };
  const service = makeScimUsers({
    users: userStore as UserStore,
    profiles: profileStore,
    teams: teamStore,
    sessions: { signOut: async (u) => void signedOut.push(u.email) },
    clock: { now: () => now },
  });
  return { service, users, audits, signedOut, profileStore, teams, memberships };
}

const ada = { userName: 'Ada@Acme.test', name: { givenName: 'Ada', familyName: 'Lovelace' } };
const list = (filter: string) => parseListQuery({ filter });

async function scimErrorOf(run: Promise<unknown>): Promise<ScimError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

describe('SCIM users', () => {
  it('provisions a hub user in the default role, audited as scim, and refuses the userName again in any case', async () => {
    const { service, users, audits } = world();
    const created = await service.create(caller, ada);
    expect(created.status).toBe(201);
    const [user] = [...users.values()];
    expect(user).toMatchObject({
      email: 'ada@acme.test',
      name: 'Ada Lovelace',
      role: 'member',
      status: 'active',
    });
    expect(audits[0]).toMatchObject({ action: 'user.provisioned', channel: 'scim', actor: { id: 'scim_1' } });
    const again = await scimErrorOf(service.create(caller, { userName: 'ADA@acme.TEST' }));
    expect(again).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it('finds by userName through the index, answers an empty page for none, and lets a store failure stand', async () => {
    const { service, profileStore } = world();
    await service.create(caller, ada);
    const found = await service.list(caller, list('userName eq "ada@acme.test"'));
    expect(found.body).toMatchObject({ totalResults: 1 });
    const none = await service.list(caller, list('id eq "usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9"'));
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
    profileStore.get = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    await expect(service.list(caller, list('userName eq "ada@acme.test"'))).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
  });

  it('deprovisions on active false: the hub user is deactivated and signed out, once', async () => {
    const { service, users, signedOut, audits } = world();
    const created = await service.create(caller, ada);
    const id = String((created.body as { id: string }).id);
    const patch = (value: unknown) =>
      service.patch(caller, id, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Replace', path: 'active', value }],
      });
    const off = await patch('False');
    expect((off.body as { active: boolean }).active).toBe(false);
    expect(users.get(id)?.status).toBe('deactivated');
    expect(signedOut).toEqual(['ada@acme.test']);
    expect(audits.at(-1)).toMatchObject({ action: 'user.deactivated', before: { status: 'active' } });
    await patch(false);
    expect(signedOut).toEqual(['ada@acme.test']);
  });

  it('refuses a change against another version with 412, before anything is written', async () => {
    const { service, audits } = world();
    const created = await service.create(caller, ada);
    const id = String((created.body as { id: string }).id);
    const stale = await scimErrorOf(service.replace(caller, id, { ...ada, title: 'x' }, 'W/"old"'));
    expect(stale.status).toBe(412);
    expect(audits).toHaveLength(1);
    const fresh = await service.replace(caller, id, { ...ada, title: 'x' }, created.headers?.etag);
    expect(fresh.status).toBe(200);
  });

  it('shows the teams a user is a direct member of as read-only groups, and in the ETag', async () => {
    const { service, teams, memberships } = world();
    const created = await service.create(caller, ada);
    const id = String((created.body as { id: string }).id);
    expect(created.body).not.toHaveProperty('groups');
    const team = (tid: string, name: string): Team => ({
      id: tid,
      orgId: ORG,
      name,
      parentId: null,
      depth: 1,
      createdAt: now.toISOString(),
    });
    teams.set('team_B', team('team_B', 'Platform'));
    teams.set('team_A', team('team_A', 'Admins'));
    memberships.push(
      { teamId: 'team_B', userId: id, role: 'member' },
      { teamId: 'team_A', userId: id, role: 'maintainer' },
      // A membership of a team deleted meanwhile is no group.
      { teamId: 'team_GONE', userId: id, role: 'member' },
    );
    const read = await service.get(caller, id, parseListQuery({}));
    expect((read.body as { groups: unknown }).groups).toEqual([
      { value: 'team_A', display: 'Admins', $ref: 'https://hub.test/scim/v2/Groups/team_A', type: 'direct' },
      {
        value: 'team_B',
        display: 'Platform',
        $ref: 'https://hub.test/scim/v2/Groups/team_B',
        type: 'direct',
      },
    ]);
    expect(read.headers?.etag).not.toBe(created.headers?.etag);
    const listed = await service.list(caller, parseListQuery({}));
    const [first] = (listed.body as { Resources: { groups: unknown; meta: { version: string } }[] })
      .Resources;
    expect(first?.groups).toEqual((read.body as { groups: unknown }).groups);
    expect(first?.meta.version).toBe(read.headers?.etag);
    const filtered = await service.list(caller, list('groups.value eq "team_B"'));
    expect(filtered.body).toMatchObject({ totalResults: 1 });
    const trimmed = await service.get(caller, id, parseListQuery({ excludedAttributes: 'groups' }));
    expect(trimmed.body).not.toHaveProperty('groups');
  });

  it('applies a PUT that changes the address: the hub user takes the new email and name, and is signed out as the old', async () => {
    const { service, users, audits, signedOut } = world();
    const created = await service.create(caller, {
      ...ada,
      emails: [{ value: 'ada@acme.test', primary: true }],
    });
    const id = String((created.body as { id: string }).id);
    const put = await service.replace(caller, id, {
      userName: 'ada.byron@acme.test',
      name: { givenName: 'Ada', familyName: 'Byron' },
      emails: [{ value: 'Ada.Byron@acme.test', type: 'work', primary: true }],
      active: true,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userName: 'ada.byron@acme.test', active: true });
    expect(users.get(id)).toMatchObject({
      email: 'ada.byron@acme.test',
      name: 'Ada Byron',
      status: 'active',
    });
    expect(signedOut).toEqual(['ada@acme.test']);
    expect(audits.at(-1)).toMatchObject({
      action: 'user.scim_updated',
      before: { email: 'ada@acme.test', userName: 'Ada@Acme.test' },
      after: { email: 'ada.byron@acme.test', userName: 'ada.byron@acme.test' },
    });
    // The same address again changes nothing of the hub user's, and signs no one out.
    await service.replace(caller, id, { userName: 'ada.byron@acme.test', displayName: 'Ada B.' });
    expect(users.get(id)).toMatchObject({ email: 'ada.byron@acme.test', name: 'Ada B.' });
    expect(signedOut).toEqual(['ada@acme.test']);
  });

  it('refuses a PUT whose userName or email another user holds (409 uniqueness), or an address outside the org', async () => {
    const { service, users } = world();
    const a = String(((await service.create(caller, ada)).body as { id: string }).id);
    await service.create(caller, { userName: 'grace@acme.test' });
    const userNameTaken = await scimErrorOf(service.replace(caller, a, { userName: 'GRACE@acme.test' }));
    expect(userNameTaken).toMatchObject({ status: 409, scimType: 'uniqueness' });
    const emailTaken = service.replace(caller, a, {
      userName: 'ada@acme.test',
      emails: [{ value: 'grace@acme.test', primary: true }],
    });
    await expect(emailTaken).rejects.toBeInstanceOf(UniquenessError);
    expect(users.get(a)?.email).toBe('ada@acme.test');
    const strict = {
      ...caller,
      org: OrgSchema.parse({ ...caller.org, settings: { allowedEmailDomains: ['acme.test'] } }),
    };
    const outside = await scimErrorOf(service.replace(strict, a, { userName: 'ada@elsewhere.test' }));
    expect(outside).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(users.get(a)?.email).toBe('ada@acme.test');
  });
});
