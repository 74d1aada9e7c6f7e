import type { Team, TeamMembership } from '../../../../shared/tenancy/team';
import { effectiveTeams } from '../../../../shared/tenancy/team';

const team = (id: string, parentId: string | null, depth: number): Team => ({
  id,
  orgId: 'org_A',
  name: id,
  parentId,
  depth,
  createdAt: '2026-11-27T10:00:00.000Z',
});
// eng ─┬─ platform ── storage
//      └─ web
const teams = [
  team('eng', null, 1),
  team('platform', 'eng', 2),
  team('storage', 'platform', 3),
  team('web', 'eng', 2),
];

describe('effective team membership', () => {
  it('gives a member of a parent team nothing below it', () => {
    const memberships: TeamMembership[] = [{ teamId: 'eng', userId: 'u', role: 'member' }];
    expect(effectiveTeams(teams, memberships)).toEqual([{ teamId: 'eng', role: 'member', via: 'eng' }]);
  });

  it('gives a maintainer the team and every team below it, saying through which', () => {
    const memberships: TeamMembership[] = [{ teamId: 'platform', userId: 'u', role: 'maintainer' }];
    expect(effectiveTeams(teams, memberships).sort((a, b) => a.teamId.localeCompare(b.teamId))).toEqual([
      { teamId: 'platform', role: 'maintainer', via: 'platform' },
      { teamId: 'storage', role: 'maintainer', via: 'platform' },
    ]);
  });

  it('keeps a direct membership as it is, even under a maintained team', () => {
    const memberships: TeamMembership[] = [
      { teamId: 'eng', userId: 'u', role: 'maintainer' },
      { teamId: 'web', userId: 'u', role: 'member' },
    ];
    const byTeam = Object.fromEntries(effectiveTeams(teams, memberships).map((m) => [m.teamId, m]));
    expect(Object.keys(byTeam).sort()).toEqual(['eng', 'platform', 'storage', 'web']);
    expect(byTeam.web).toEqual({ teamId: 'web', role: 'member', via: 'web' });
  });
});
