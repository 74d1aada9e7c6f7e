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
  const result = new Map<string, { teamId: string; role: TeamRole; via: string }>();
  for (const m of memberships) result.set(m.teamId, { teamId: m.teamId, role: m.role, via: m.teamId });
  for (const m of memberships.filter((x) => x.role === 'maintainer')) {
    const stack = [...(children.get(m.teamId) ?? [])];
    while (stack.length > 0) {
      const team = stack.pop() as Team;
      if (!result.has(team.id)) result.set(team.id, { teamId: team.id, role: 'maintainer', via: m.teamId });
      stack.push(...(children.get(team.id) ?? []));
    }
  }
  return [...result.values()];
}
