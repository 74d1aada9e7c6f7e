import type { Clock } from '../ports/clock';
import type { OrgStore, TeamStore, UserStore } from '../ports/stores';
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
export function makeScimGroups(deps: { orgs: OrgStore; teams: TeamStore; users: UserStore; clock: Clock }) {
  const createTeam = makeCreateTeam(deps);
  const updateTeam = makeUpdateTeam(deps);
  const deleteTeam = makeDeleteTeam(deps);
  const setMember = makeSetTeamMember(deps);
  const removeMember = makeRemoveTeamMember(deps);

  function resourceOf(caller: ScimCaller, team: Team, memberIds: readonly string[] | null): Resource {
    const members = memberIds
      ? [...memberIds]
          .sort()
          .map((value) => ({ value, $ref: `${caller.baseUrl}/Users/${value}`, type: 'User' }))
      : undefined;
    const content: Record<string, unknown> = {
      schemas: [GROUP_SCHEMA],
      id: team.id,
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

  async function load(caller: ScimCaller, teamId: string) {
    const team = await deps.teams.get(caller.org.id, teamId);
    if (!team) throw new ScimError(404, `No group ${teamId}`);
    const memberIds = await memberIdsOf(caller.org.id, teamId);
    return { team, memberIds, resource: resourceOf(caller, team, memberIds) };
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
    current: { team: Team; memberIds: readonly string[] },
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
    const resource = resourceOf(caller, team, await memberIdsOf(caller.org.id, team.id));
    return { status: 200, body: resource, headers: { etag: resource.meta.version } };
  }

  return {
    async list(caller: ScimCaller, query: ListQuery): Promise<ScimResult> {
      const filter = query.filter === undefined ? null : parseFilter(query.filter, []);
      const teams = (await deps.teams.all(caller.org.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
      // Members cost a read per team: only when they are shown or filtered on.
      const needMembers =
        /members/i.test(query.filter ?? '') ||
        (query.attributes
          ? query.attributes.some((a) => /^members/i.test(a))
          : !query.excludedAttributes.some((a) => a.toLowerCase() === 'members'));
      const resources: Resource[] = [];
      for (let i = 0; i < teams.length; i += CONCURRENCY) {
        const batch = teams.slice(i, i + CONCURRENCY);
        resources.push(
          ...(await Promise.all(
            batch.map(async (t) =>
              resourceOf(caller, t, needMembers ? await memberIdsOf(caller.org.id, t.id) : null),
            ),
          )),
        );
      }
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
      const resource = resourceOf(caller, team, memberIds);
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
        members: current.memberIds.map((value) => ({ value })),
      };
      const patched = applyPatch(document, ops);
      return commit(caller, current, parseGroup(patched), true);
    },

    async remove(caller: ScimCaller, teamId: string, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, teamId);
      admit(ifMatch, current.resource);
      await deleteTeam(caller.org.id, teamId, caller.principal, caller.request);
      return { status: 204 };
    },
  };
}

export type ScimGroups = ReturnType<typeof makeScimGroups>;
