import type { Team, TeamMembership } from '../../../../shared/tenancy/team';
import { effectiveTeams, planMove } from '../../../../shared/tenancy/team';

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

describe('moving a team', () => {
  const chain = [1, 2, 3, 4].map((d) => team(`t${d}`, d === 1 ? null : `t${d - 1}`, d));

  it('moves the team with everything below it, at their new depths', () => {
    expect(planMove(teams, 'platform', 'web')).toEqual({
      moved: [{ ...team('platform', 'web', 3) }, { ...team('storage', 'platform', 4) }],
    });
    expect(planMove(teams, 'platform', null)).toEqual({
      moved: [team('platform', null, 1), team('storage', 'platform', 2)],
    });
  });

  it('refuses a move under itself or a team below it: no cycles', () => {
    expect(planMove(teams, 'eng', 'storage')).toEqual({ refused: expect.stringContaining('below it') });
    expect(planMove(teams, 'eng', 'eng')).toEqual({ refused: expect.stringContaining('itself') });
  });

  it('refuses a move that would nest any team below depth five', () => {
    const all = [...chain, team('x', null, 1), team('y', 'x', 2)];
    // x (1) with y (2) under t4 (4): y would sit at depth 6; y alone fits at 5.
    expect(planMove(all, 'x', 't4')).toEqual({ refused: expect.stringContaining('depth 6') });
    expect('moved' in planMove(all, 'y', 't4')).toBe(true);
  });

  it('ignores memberships of teams that no longer exist', () => {
    const memberships: TeamMembership[] = [{ teamId: 'gone', userId: 'u', role: 'maintainer' }];
    expect(effectiveTeams(teams, memberships)).toEqual([]);
  });
});
