import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { AuditStore, OrgStore, TeamStore, UserStore } from '../ports/stores';
import { PLANS } from './plans';
import { requireOrg } from './require-org';
import type { Team, TeamRole } from './team';
import { effectiveTeams, MAX_TEAM_DEPTH, planMove, subtree } from './team';

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
    const { teams, version } = await deps.teams.tree(orgId);
    let depth = 1;
    if (input.parentId !== undefined) {
      const parent = teams.find((t) => t.id === input.parentId);
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
    await deps.teams.create(team, audit, { resource: 'teams', limit: PLANS[org.plan].teams }, version);
    return team;
  };
}

async function requireTeam(teams: readonly Team[], teamId: string): Promise<Team> {
  const team = teams.find((t) => t.id === teamId);
  if (!team) throw new NotFoundError(`No team ${teamId}`);
  return team;
}

/**
 * Renames a team and/or moves it (with everything below it) under another parent or to the top.
 * A move under itself or a descendant, or one that nests any team too deep, is refused.
 */
export function makeUpdateTeam(deps: { teams: TeamStore; clock: Clock }) {
  return async (
    orgId: string,
    teamId: string,
    input: { name?: string | undefined; parentId?: string | null | undefined },
    principal: Principal,
    request: RequestContext,
  ): Promise<Team> => {
    const { teams, version } = await deps.teams.tree(orgId);
    const team = await requireTeam(teams, teamId);
    const at = deps.clock.now().toISOString();
    let changed: Team[] = [team];
    if (input.parentId !== undefined && input.parentId !== team.parentId) {
      if (input.parentId !== null) await requireTeam(teams, input.parentId);
      const plan = planMove(teams, teamId, input.parentId);
      if ('refused' in plan)
        throw new ValidationError(plan.refused, [{ path: 'parentId', message: plan.refused }]);
      changed = plan.moved;
    }
    const updated = changed.map((t) =>
      t.id === teamId ? { ...t, name: input.name ?? t.name, updatedAt: at } : { ...t, updatedAt: at },
    );
    const result = updated.find((t) => t.id === teamId) as Team;
    const audit = auditChange({
      action: result.parentId === team.parentId ? 'team.renamed' : 'team.moved',
      principal,
      orgId,
      targets: [{ type: 'team', id: teamId }],
      request,
      at: new Date(at),
      before: { name: team.name, parentId: team.parentId },
      after: { name: result.name, parentId: result.parentId },
    });
    await deps.teams.update(orgId, updated, version, audit);
    return result;
  };
}

/** Deletes a team without child teams; its memberships go with it, its audit history stays. */
export function makeDeleteTeam(deps: { teams: TeamStore; clock: Clock }) {
  return async (orgId: string, teamId: string, principal: Principal, request: RequestContext) => {
    const { teams, version } = await deps.teams.tree(orgId);
    const team = await requireTeam(teams, teamId);
    const children = teams.filter((t) => t.parentId === teamId);
    if (children.length > 0) {
      throw new ConflictError(
        `Team ${teamId} has ${children.length} child team(s); move or delete them first`,
      );
    }
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'team.deleted',
      principal,
      orgId,
      targets: [{ type: 'team', id: teamId }],
      request,
      at,
      before: { name: team.name, parentId: team.parentId },
    });
    await deps.teams.delete(team, version, audit);
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

/** Removes a user from a team; their access through it ends at once. */
export function makeRemoveTeamMember(deps: { teams: TeamStore; clock: Clock }) {
  return async (
    orgId: string,
    teamId: string,
    userId: string,
    principal: Principal,
    request: RequestContext,
  ) => {
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'team.member_removed',
      principal,
      orgId,
      targets: [
        { type: 'team', id: teamId },
        { type: 'user', id: userId },
      ],
      request,
      at,
    });
    await deps.teams.removeMember(orgId, teamId, userId, audit);
  };
}

/**
 * Who is in a team: its direct members, and the maintainers of the teams above it, whose role
 * reaches down to it.
 */
export function makeTeamMembers(deps: { teams: TeamStore }) {
  return async (orgId: string, teamId: string) => {
    const teams = await deps.teams.all(orgId);
    const team = await requireTeam(teams, teamId);
    const byId = new Map(teams.map((t) => [t.id, t]));
    const ancestors: Team[] = [];
    for (let p = team.parentId; p !== null; p = byId.get(p)?.parentId ?? null) {
      const parent = byId.get(p);
      if (!parent) break;
      ancestors.push(parent);
    }
    const [direct, ...above] = await Promise.all([
      deps.teams.membersOf(orgId, teamId),
      ...ancestors.map((a) => deps.teams.membersOf(orgId, a.id)),
    ]);
    const items = new Map<string, { userId: string; role: 'maintainer' | 'member'; via: string }>();
    for (const m of direct ?? []) items.set(m.userId, { userId: m.userId, role: m.role, via: teamId });
    for (const m of above.flat().filter((x) => x.role === 'maintainer')) {
      if (!items.has(m.userId)) items.set(m.userId, { userId: m.userId, role: 'maintainer', via: m.teamId });
    }
    return { items: [...items.values()] };
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A team's analytics over the last `days` UTC days (today included): its members by role and
 * how they got there, and their successful actions per day from the audit trail.
 */
export function makeTeamAnalytics(deps: { teams: TeamStore; audit: AuditStore; clock: Clock }) {
  const members = makeTeamMembers(deps);
  return async (orgId: string, teamId: string, days: number) => {
    const { items } = await members(orgId, teamId);
    const now = deps.clock.now();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS);
    const from = new Date(to.getTime() - days * DAY_MS);
    const { byDay, byActor } =
      items.length === 0
        ? { byDay: {}, byActor: {} }
        : await deps.audit.activity(
            orgId,
            items.map((m) => m.userId),
            from,
            to,
          );
    const activityByDay = Array.from({ length: days }, (_, i) => {
      const day = new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10);
      return { day, actions: (byDay as Record<string, number>)[day] ?? 0 };
    });
    const teams = await deps.teams.all(orgId);
    return {
      teamId,
      from: from.toISOString(),
      to: to.toISOString(),
      members: {
        total: items.length,
        maintainers: items.filter((m) => m.role === 'maintainer').length,
        direct: items.filter((m) => m.via === teamId).length,
        inherited: items.filter((m) => m.via !== teamId).length,
        active: items.filter((m) => ((byActor as Record<string, number>)[m.userId] ?? 0) > 0).length,
      },
      subteams: subtree(teams, teamId).length - 1,
      activityByDay,
      totalActions: activityByDay.reduce((sum, d) => sum + d.actions, 0),
    };
  };
}
