import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { newId } from '../../../../shared/ids';
import type { OrgStore, ScimGroupStore, TeamStore, UserStore } from '../../../../shared/ports/stores';
import { makeScimGroups } from '../../../../shared/scim/groups';
import { parseListQuery } from '../../../../shared/scim/query';
import type { ScimCaller } from '../../../../shared/scim/scim-caller';
import { OrgSchema } from '../../../../shared/tenancy/org';
import type { Team, TeamMembership } from '../../../../shared/tenancy/team';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const now = new Date('2026-12-03T12:00:00.000Z');
const org = OrgSchema.parse({
  id: ORG,
  name: 'Acme',
  slug: 'acme',
  status: 'active',
  plan: 'team',
  createdAt: now.toISOString(),
});
const caller: ScimCaller = {
  org,
  principal: {
    kind: 'org_member',
    type: 'api_key',
    id: 'scim_1',
    name: 'SCIM token',
    orgId: ORG,
    role: 'admin',
  },
  request: { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'Entra', channel: 'scim' },
  baseUrl: 'https://hub.test/scim/v2',
};
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The stores' contract in maps, counting user reads (the adapters have their integration test). */
function world() {
  const teams = new Map<string, Team>();
  let memberships: TeamMembership[] = [];
  const users = new Map<string, User>();
  const externalIds = new Map<string, string>();
  const audits: AuditRecord[] = [];
  const reads = { get: 0, list: 0 };
  const teamStore: Partial<TeamStore> = {
    tree: async () => ({ teams: [...teams.values()], version: 1 }),
    create: async (team, audit) => {
      teams.set(team.id, team);
      audits.push(audit);
    },
    update: async (_org, changed, _v, audit) => {
      for (const t of changed) teams.set(t.id, t);
      audits.push(audit);
    },
    delete: async (team, _v, audit) => {
      teams.delete(team.id);
      memberships = memberships.filter((m) => m.teamId !== team.id);
      audits.push(audit);
    },
    get: async (_org, id) => teams.get(id) ?? null,
    all: async () => [...teams.values()],
    putMember: async (_org, m, audit) => {
      memberships = [...memberships.filter((x) => !(x.teamId === m.teamId && x.userId === m.userId)), m];
      audits.push(audit);
    },
    removeMember: async (_org, teamId, userId, audit) => {
      memberships = memberships.filter((x) => !(x.teamId === teamId && x.userId === userId));
      audits.push(audit);
    },
    membersOf: async (_org, teamId) => memberships.filter((m) => m.teamId === teamId),
    membershipsOf: async (_org, userId) => memberships.filter((m) => m.userId === userId),
  };
  const userStore: Partial<UserStore> = {
    get: async (_org, id) => {
      reads.get++;
      return users.get(id) ?? null;
    },
    list: async () => {
      reads.list++;
      return { items: [...users.values()], nextCursor: null };
    },
  };
  const groupStore: ScimGroupStore = {
    externalIdOf: async (_org, teamId) => externalIds.get(teamId) ?? null,
    externalIds: async () => new Map(externalIds),
    setExternalId: async (_org, teamId, externalId, _at, audit) => {
      if (externalId === null) externalIds.delete(teamId);
      else externalIds.set(teamId, externalId);
      audits.push(audit);
    },
  };
  const service = makeScimGroups({
    orgs: { get: async () => org } as unknown as OrgStore,
    teams: teamStore as TeamStore,
    users: userStore as UserStore,
    groups: groupStore,
    clock: { now: () => now },
  });
  const addUser = (name: string, email: string) => {
    const user: User = {
      id: newId('usr'),
      orgId: ORG,
      email,
      name,
      role: 'member',
      status: 'active',
      createdAt: now.toISOString(),
      createdBy: 'scim_1',
    };
    users.set(user.id, user);
    return user.id;
  };
  return { service, externalIds, audits, reads, addUser };
}

const idOf = (result: { body?: unknown }) => String((result.body as { id: string }).id);

describe('SCIM groups', () => {
  it("keeps the IdP's externalId, answers it, and lets a filter find the group by it exactly", async () => {
    const { service, externalIds, audits } = world();
    const created = await service.create(caller, { displayName: 'Engineering', externalId: 'a1b2-C3' });
    const id = idOf(created);
    expect(created.body).toMatchObject({ id, externalId: 'a1b2-C3', displayName: 'Engineering' });
    expect(externalIds.get(id)).toBe('a1b2-C3');
    expect(audits.at(-1)).toMatchObject({
      action: 'team.scim_external_id_set',
      channel: 'scim',
      targets: [{ type: 'team', id }],
      after: { externalId: 'a1b2-C3' },
    });
    await service.create(caller, { displayName: 'Sales' });
    const found = await service.list(caller, parseListQuery({ filter: 'externalId eq "a1b2-C3"' }));
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, externalId: 'a1b2-C3' }] });
    const otherCase = await service.list(caller, parseListQuery({ filter: 'externalId eq "A1B2-c3"' }));
    expect(otherCase.body).toMatchObject({ totalResults: 0 });
    const read = await service.get(caller, id, parseListQuery({}));
    expect(read.headers?.etag).toBe(created.headers?.etag);
  });

  it('changes the externalId by PATCH and forgets it when a PUT leaves it out, each change audited', async () => {
    const { service, externalIds, audits } = world();
    const id = idOf(await service.create(caller, { displayName: 'Ops', externalId: 'x-1' }));
    const patched = await service.patch(caller, id, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', value: { externalId: 'x-2' } }],
    });
    expect(patched.body).toMatchObject({ externalId: 'x-2' });
    const before = audits.length;
    await service.patch(caller, id, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'displayName', value: 'Ops2' }],
    });
    // A rename writes no externalId change.
    expect(audits.slice(before).map((a) => a.action)).toEqual(['team.renamed']);
    const put = await service.replace(caller, id, { displayName: 'Ops2' });
    expect(put.body).not.toHaveProperty('externalId');
    expect(externalIds.has(id)).toBe(false);
    await service.replace(caller, id, { displayName: 'Ops2', externalId: 'x-3' });
    await service.remove(caller, id);
    expect(externalIds.has(id)).toBe(false);
  });

  it("answers each member's display: the user's hub name, whatever the IdP sent", async () => {
    const { service, addUser, reads } = world();
    const ada = addUser('Ada Lovelace', 'ada@acme.test');
    const grace = addUser('', 'grace@acme.test');
    const created = await service.create(caller, {
      displayName: 'Engineering',
      members: [
        { value: ada, display: 'Someone else' },
        { value: grace, display: 'G' },
      ],
    });
    const members = (created.body as { members: Record<string, string>[] }).members;
    expect(members).toEqual(
      [
        { value: ada, display: 'Ada Lovelace', $ref: `https://hub.test/scim/v2/Users/${ada}`, type: 'User' },
        {
          value: grace,
          display: 'grace@acme.test',
          $ref: `https://hub.test/scim/v2/Users/${grace}`,
          type: 'User',
        },
      ].sort((a, b) => (a.value < b.value ? -1 : 1)),
    );
    // Without members asked for, no user is read to name them.
    const readsBefore = { ...reads };
    const listed = await service.list(caller, parseListQuery({ excludedAttributes: 'members' }));
    expect((listed.body as { Resources: unknown[] }).Resources[0]).not.toHaveProperty('members');
    expect(reads).toEqual(readsBefore);
    const full = await service.list(caller, parseListQuery({}));
    expect((full.body as { Resources: { members: unknown }[] }).Resources[0]?.members).toEqual(members);
  });

  it('names many members from one listing of the users rather than one read each', async () => {
    const { service, addUser, reads } = world();
    const ids = Array.from({ length: 250 }, (_, i) => addUser(`User ${i}`, `u${i}@acme.test`));
    const id = idOf(
      await service.create(caller, { displayName: 'Everyone', members: ids.map((value) => ({ value })) }),
    );
    const before = { ...reads };
    const read = await service.get(caller, id, parseListQuery({}));
    const members = (read.body as { members: { value: string; display: string }[] }).members;
    expect(members).toHaveLength(250);
    expect(members.every((m) => /^User \d+$/.test(m.display))).toBe(true);
    expect(reads.get - before.get).toBe(0);
    expect(reads.list - before.list).toBe(1);
  });
});
