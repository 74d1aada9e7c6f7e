import { auditChange } from '../audit/audit-record';
import type { Clock } from '../ports/clock';
import type { OrgStore, ScimGroupStore, TeamStore, UserStore } from '../ports/stores';
import {
  makeCreateTeam,
  makeDeleteTeam,
  makeRemoveTeamMember,
  makeSetTeamMember,
  makeUpdateTeam,
} from '../tenancy/manage-teams';
import type { Team } from '../tenancy/team';
import { ifMatchAdmits, versionOf } from './etag';
import { parseFilter } from './filter';
import { listResponse } from './list-response';
import { applyPatch, normalisePatch } from './patch';
import type { ListQuery } from './query';
import { project } from './query';
import { GROUP_ATTRIBUTES, GROUP_SCHEMA, ScimGroupInput } from './schema';
import { MAX_MEMBERS_PER_REQUEST } from './scim-body';
import type { ScimCaller, ScimResult } from './scim-caller';
import { ScimError } from './scim-error';

/** Membership changes run a few at a time: each is its own audited write. */
const CONCURRENCY = 8;
/** Beyond this many members to name, reading every user of the org costs fewer requests than one each. */
const READ_ALL_USERS_FROM = 200;
const USER_PAGE = 100;

type Resource = Record<string, unknown> & {
  meta: Record<string, string> & { version: string; location: string };
};

function parseGroup(body: unknown): ScimGroupInput {
  const parsed = ScimGroupInput.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScimError(
      400,
      `The group is not valid: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : ''}`,
      'invalidValue',
    );
  }
  return parsed.data;
}

async function inBatches<T>(items: readonly T[], run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    await Promise.all(items.slice(i, i + CONCURRENCY).map(run));
  }
}

/**
 * SCIM Groups over hub teams: a group is a team (its `displayName` the team's name) and its
 * members the team's direct members; adding or removing a member is a team membership change,
 * audited as one. Teams made in the hub are groups too, so an IdP can take them over.
 */
export function makeScimGroups(deps: {
  orgs: OrgStore;
  teams: TeamStore;
  users: UserStore;
  groups: ScimGroupStore;
  clock: Clock;
}) {
  const createTeam = makeCreateTeam(deps);
  const updateTeam = makeUpdateTeam(deps);
  const deleteTeam = makeDeleteTeam(deps);
  const setMember = makeSetTeamMember(deps);
  const removeMember = makeRemoveTeamMember(deps);

  /**
   * A group's resource: `members[].display` is each user's hub name (their SCIM displayName, else
   * name, else userName, as provisioned); `memberIds` null leaves members out (not asked for).
   */
  function resourceOf(
    caller: ScimCaller,
    team: Team,
    externalId: string | null,
    memberIds: readonly string[] | null,
    names: ReadonlyMap<string, string>,
  ): Resource {
    const members = memberIds
      ? [...memberIds].sort().map((value) => {
          const display = names.get(value);
          return {
            value,
            ...(display ? { display } : {}),
            $ref: `${caller.baseUrl}/Users/${value}`,
            type: 'User',
          };
        })
      : undefined;
    const content: Record<string, unknown> = {
      schemas: [GROUP_SCHEMA],
      id: team.id,
      ...(externalId ? { externalId } : {}),
      displayName: team.name,
      ...(members ? { members } : {}),
    };
    const location = `${caller.baseUrl}/Groups/${team.id}`;
    return {
      ...content,
      meta: {
        resourceType: 'Group',
        created: team.createdAt,
        lastModified: team.updatedAt ?? team.createdAt,
        location,
        version: versionOf(content),
      },
    };
  }

  const memberIdsOf = async (orgId: string, teamId: string) =>
    (await deps.teams.membersOf(orgId, teamId)).map((m) => m.userId);

  /** The hub names of these users: one read each for a few, every user of the org for many. */
  async function namesOf(orgId: string, userIds: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(userIds)];
    const names = new Map<string, string>();
    if (wanted.length === 0) return names;
    if (wanted.length < READ_ALL_USERS_FROM) {
      await inBatches(wanted, async (id) => {
        const user = await deps.users.get(orgId, id);
        if (user) names.set(id, user.name || user.email);
      });
      return names;
    }
    const want = new Set(wanted);
    let cursor: string | undefined;
    do {
      const page = await deps.users.list(orgId, { limit: USER_PAGE, cursor });
      for (const user of page.items) if (want.has(user.id)) names.set(user.id, user.name || user.email);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return names;
  }

  async function resourceNow(caller: ScimCaller, team: Team, externalId: string | null) {
    const memberIds = await memberIdsOf(caller.org.id, team.id);
    return resourceOf(caller, team, externalId, memberIds, await namesOf(caller.org.id, memberIds));
  }

  async function load(caller: ScimCaller, teamId: string) {
    const [team, externalId] = await Promise.all([
      deps.teams.get(caller.org.id, teamId),
      deps.groups.externalIdOf(caller.org.id, teamId),
    ]);
    if (!team) throw new ScimError(404, `No group ${teamId}`);
    const memberIds = await memberIdsOf(caller.org.id, teamId);
    const names = await namesOf(caller.org.id, memberIds);
    return { team, externalId, memberIds, resource: resourceOf(caller, team, externalId, memberIds, names) };
  }

  /** Keeps the IdP's externalId of the group (null forgets it), audited as the IdP's change. */
  async function setExternalId(caller: ScimCaller, teamId: string, from: string | null, to: string | null) {
    if (from === to) return;
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'team.scim_external_id_set',
      principal: caller.principal,
      orgId: caller.org.id,
      targets: [{ type: 'team', id: teamId }],
      request: caller.request,
      at,
      before: { externalId: from },
      after: { externalId: to },
    });
    await deps.groups.setExternalId(caller.org.id, teamId, to, at.toISOString(), audit);
  }

  function admit(ifMatch: string | undefined, resource: Resource) {
    if (!ifMatchAdmits(ifMatch, resource.meta.version)) {
      throw new ScimError(412, 'The group changed since the version named by If-Match; read it again');
    }
  }

  async function requireUsers(orgId: string, userIds: readonly string[]) {
    if (userIds.length > MAX_MEMBERS_PER_REQUEST) {
      throw new ScimError(400, `At most ${MAX_MEMBERS_PER_REQUEST} members change in one request`, 'tooMany');
    }
    const missing: string[] = [];
    await inBatches(userIds, async (id) => {
      const user = /^usr_[0-9A-Z]{26}$/.test(id) ? await deps.users.get(orgId, id) : null;
      if (!user) missing.push(id);
    });
    if (missing.length > 0) {
      throw new ScimError(400, `No user ${missing[0]?.slice(0, 40)} to make a member`, 'invalidValue');
    }
  }

  /** Makes the team's direct members exactly `wanted`: adds join as `member`, the others leave. */
  async function syncMembers(
    caller: ScimCaller,
    teamId: string,
    current: readonly string[],
    wanted: readonly string[],
  ) {
    const have = new Set(current);
    const want = new Set(wanted);
    const added = [...want].filter((id) => !have.has(id));
    const removed = [...have].filter((id) => !want.has(id));
    await requireUsers(caller.org.id, added);
    await inBatches(added, (userId) =>
      setMember(caller.org.id, teamId, userId, 'member', caller.principal, caller.request),
    );
    await inBatches(removed, (userId) =>
      removeMember(caller.org.id, teamId, userId, caller.principal, caller.request),
    );
  }

  async function commit(
    caller: ScimCaller,
    current: { team: Team; externalId: string | null; memberIds: readonly string[] },
    input: ScimGroupInput,
    membersGiven: boolean,
  ): Promise<ScimResult> {
    let team = current.team;
    if (input.displayName !== team.name) {
      team = await updateTeam(
        caller.org.id,
        team.id,
        { name: input.displayName },
        caller.principal,
        caller.request,
      );
    }
    if (membersGiven) {
      await syncMembers(
        caller,
        team.id,
        current.memberIds,
        (input.members ?? []).map((m) => m.value),
      );
    }
    // A replace asserts the whole group: an externalId it leaves out is forgotten (RFC 7644 §3.5.1).
    const externalId = input.externalId ?? null;
    await setExternalId(caller, team.id, current.externalId, externalId);
    const resource = await resourceNow(caller, team, externalId);
    return { status: 200, body: resource, headers: { etag: resource.meta.version } };
  }

  return {
    async list(caller: ScimCaller, query: ListQuery): Promise<ScimResult> {
      const filter = query.filter === undefined ? null : parseFilter(query.filter, []);
      const [all, externalIds] = await Promise.all([
        deps.teams.all(caller.org.id),
        deps.groups.externalIds(caller.org.id),
      ]);
      const teams = all.sort((a, b) => (a.id < b.id ? -1 : 1));
      // Members cost a read per team: only when they are shown or filtered on.
      const needMembers =
        /members/i.test(query.filter ?? '') ||
        (query.attributes
          ? query.attributes.some((a) => /^members/i.test(a))
          : !query.excludedAttributes.some((a) => a.toLowerCase() === 'members'));
      const memberIds = new Map<string, string[]>();
      if (needMembers) {
        await inBatches(teams, async (t) => {
          memberIds.set(t.id, await memberIdsOf(caller.org.id, t.id));
        });
      }
      const names = await namesOf(caller.org.id, [...memberIds.values()].flat());
      const resources = teams.map((t) =>
        resourceOf(caller, t, externalIds.get(t.id) ?? null, memberIds.get(t.id) ?? null, names),
      );
      return { status: 200, body: listResponse(resources, filter, query) };
    },

    async get(caller: ScimCaller, teamId: string, query: ListQuery): Promise<ScimResult> {
      const { resource } = await load(caller, teamId);
      return {
        status: 200,
        body: project(resource, query.attributes, query.excludedAttributes),
        headers: { etag: resource.meta.version },
      };
    },

    async create(caller: ScimCaller, body: unknown): Promise<ScimResult> {
      const input = parseGroup(body);
      const memberIds = [...new Set((input.members ?? []).map((m) => m.value))];
      await requireUsers(caller.org.id, memberIds);
      const team = await createTeam(
        caller.org.id,
        { name: input.displayName },
        caller.principal,
        caller.request,
      );
      await syncMembers(caller, team.id, [], memberIds);
      await setExternalId(caller, team.id, null, input.externalId ?? null);
      const resource = resourceOf(
        caller,
        team,
        input.externalId ?? null,
        memberIds,
        await namesOf(caller.org.id, memberIds),
      );
      return {
        status: 201,
        body: resource,
        headers: { etag: resource.meta.version, location: resource.meta.location },
      };
    },

    async replace(caller: ScimCaller, teamId: string, body: unknown, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, teamId);
      admit(ifMatch, current.resource);
      return commit(caller, current, parseGroup(body), true);
    },

    async patch(caller: ScimCaller, teamId: string, body: unknown, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, teamId);
      admit(ifMatch, current.resource);
      const ops = normalisePatch(body, GROUP_ATTRIBUTES, false);
      const document = {
        displayName: current.team.name,
        ...(current.externalId ? { externalId: current.externalId } : {}),
        members: current.memberIds.map((value) => ({ value })),
      };
      const patched = applyPatch(document, ops);
      return commit(caller, current, parseGroup(patched), true);
    },

    async remove(caller: ScimCaller, teamId: string, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, teamId);
      admit(ifMatch, current.resource);
      await deleteTeam(caller.org.id, teamId, caller.principal, caller.request);
      await setExternalId(caller, teamId, current.externalId, null);
      return { status: 204 };
    },
  };
}

export type ScimGroups = ReturnType<typeof makeScimGroups>;
