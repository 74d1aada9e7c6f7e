import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { OrgStore, TeamStore, UserStore } from '../ports/stores';
import { PLANS } from './plans';
import { requireOrg } from './require-org';
import type { Team, TeamRole } from './team';
import { effectiveTeams, MAX_TEAM_DEPTH } from './team';

/**
 * Creates a team, under a parent or at the top. A team's parent is fixed at creation, so the
 * hierarchy can never form a cycle; its depth is bounded.
 */
export function makeCreateTeam(deps: { orgs: OrgStore; teams: TeamStore; clock: Clock }) {
  return async (
    orgId: string,
    input: { name: string; parentId?: string | undefined },
    principal: Principal,
    request: RequestContext,
  ): Promise<Team> => {
    const org = await requireOrg(deps.orgs, orgId);
    let depth = 1;
    if (input.parentId !== undefined) {
      const parent = await deps.teams.get(orgId, input.parentId);
      if (!parent) throw new NotFoundError(`No team ${input.parentId}`);
      depth = parent.depth + 1;
      if (depth > MAX_TEAM_DEPTH) {
        throw new ValidationError(`Teams nest at most ${MAX_TEAM_DEPTH} deep`, [
          { path: 'parentId', message: `the parent is already at depth ${parent.depth}` },
        ]);
      }
    }
    const at = deps.clock.now();
    const team: Team = {
      id: newId('team'),
      orgId,
      name: input.name,
      parentId: input.parentId ?? null,
      depth,
      createdAt: at.toISOString(),
    };
    const audit = auditChange({
      action: 'team.created',
      principal,
      orgId,
      targets: [{ type: 'team', id: team.id }],
      request,
      at,
      after: { name: team.name, parentId: team.parentId },
    });
    await deps.teams.create(team, audit, { resource: 'teams', limit: PLANS[org.plan].teams });
    return team;
  };
}

/** Adds a user to a team with a role, or changes their role there. */
export function makeSetTeamMember(deps: { teams: TeamStore; users: UserStore; clock: Clock }) {
  return async (
    orgId: string,
    teamId: string,
    userId: string,
    role: TeamRole,
    principal: Principal,
    request: RequestContext,
  ) => {
    if (!(await deps.teams.get(orgId, teamId))) throw new NotFoundError(`No team ${teamId}`);
    const user = await deps.users.get(orgId, userId);
    if (!user) throw new NotFoundError(`No user ${userId}`);
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'team.member_set',
      principal,
      orgId,
      targets: [
        { type: 'team', id: teamId },
        { type: 'user', id: userId },
      ],
      request,
      at,
      after: { role },
    });
    await deps.teams.putMember(orgId, { teamId, userId, role }, audit);
    return { teamId, userId, role };
  };
}

/** The teams a user belongs to, directly and through teams they maintain. */
export function makeUserTeams(deps: { teams: TeamStore; users: UserStore }) {
  return async (orgId: string, userId: string) => {
    if (!(await deps.users.get(orgId, userId))) throw new NotFoundError(`No user ${userId}`);
    const [teams, memberships] = await Promise.all([
      deps.teams.all(orgId),
      deps.teams.membershipsOf(orgId, userId),
    ]);
    return { items: effectiveTeams(teams, memberships) };
  };
}
