import * as z from 'zod';

/** Teams nest at most this deep (a root team is at depth 1). */
export const MAX_TEAM_DEPTH = 5;

export const TeamSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    name: z.string(),
    parentId: z.string().nullable(),
    depth: z.number().int().min(1).max(MAX_TEAM_DEPTH),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Team' });

export type Team = z.infer<typeof TeamSchema>;

/**
 * A member's role in a team. A `maintainer` holds it for the team and every team below it; a
 * `member` for that team alone: belonging to a parent never silently grants a child.
 */
export const TEAM_ROLES = ['maintainer', 'member'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export interface TeamMembership {
  readonly teamId: string;
  readonly userId: string;
  readonly role: TeamRole;
}

/** The teams a user effectively belongs to: direct memberships, and below teams they maintain. */
export function effectiveTeams(
  teams: readonly Team[],
  memberships: readonly TeamMembership[],
): { teamId: string; role: TeamRole; via: string }[] {
  const children = new Map<string, Team[]>();
  for (const team of teams) {
    if (team.parentId) children.set(team.parentId, [...(children.get(team.parentId) ?? []), team]);
  }
  // A membership of a team deleted meanwhile grants nothing.
  const known = new Set(teams.map((t) => t.id));
  const live = memberships.filter((m) => known.has(m.teamId));
  const result = new Map<string, { teamId: string; role: TeamRole; via: string }>();
  for (const m of live) result.set(m.teamId, { teamId: m.teamId, role: m.role, via: m.teamId });
  for (const m of live.filter((x) => x.role === 'maintainer')) {
    const stack = [...(children.get(m.teamId) ?? [])];
    while (stack.length > 0) {
      const team = stack.pop() as Team;
      if (!result.has(team.id)) result.set(team.id, { teamId: team.id, role: 'maintainer', via: m.teamId });
      stack.push(...(children.get(team.id) ?? []));
    }
  }
  return [...result.values()];
}

/** The team and every team below it. */
export function subtree(teams: readonly Team[], rootId: string): Team[] {
  const children = new Map<string, Team[]>();
  for (const team of teams) {
    if (team.parentId) children.set(team.parentId, [...(children.get(team.parentId) ?? []), team]);
  }
  const root = teams.find((t) => t.id === rootId);
  if (!root) return [];
  const out: Team[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const team = stack.pop() as Team;
    out.push(team);
    stack.push(...(children.get(team.id) ?? []));
  }
  return out;
}

/**
 * The teams a move changes: the moved team under its new parent (null: to the top) and every team
 * below it at its new depth. Refuses a move under the team itself or one of its descendants (a
 * cycle), and one that would push any team below the depth bound.
 */
export function planMove(
  teams: readonly Team[],
  teamId: string,
  newParentId: string | null,
): { moved: Team[] } | { refused: string } {
  const below = subtree(teams, teamId);
  if (newParentId !== null && below.some((t) => t.id === newParentId)) {
    return { refused: 'A team cannot move under itself or a team below it' };
  }
  const parentDepth = newParentId === null ? 0 : (teams.find((t) => t.id === newParentId)?.depth ?? 0);
  const root = below[0] as Team;
  const shift = parentDepth + 1 - root.depth;
  const deepest = Math.max(...below.map((t) => t.depth + shift));
  if (deepest > MAX_TEAM_DEPTH) {
    return { refused: `Teams nest at most ${MAX_TEAM_DEPTH} deep; this move would reach depth ${deepest}` };
  }
  return {
    moved: below.map((t) =>
      t.id === teamId
        ? { ...t, parentId: newParentId, depth: t.depth + shift }
        : { ...t, depth: t.depth + shift },
    ),
  };
}
