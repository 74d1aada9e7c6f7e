import type { NotificationPreferences } from '../../../../../shared/notify/email/preferences';
import { NotificationPreferencesInput } from '../../../../../shared/notify/email/preferences';
import { PreferenceAwareEmailRecipients } from '../../../../../shared/notify/email/recipients';
import type { User } from '../../../../../shared/tenancy/user';
import { aCanonicalEvent } from '../../../../support/builders';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const id = (n: number) => `usr_01JD3Q4ZK8M7X2V9N6B5C4D3E${n}`;
const user = (n: number, status: User['status'] = 'active'): User => ({
  id: id(n),
  orgId: ORG,
  email: `user${n}@example.com`,
  name: `User ${n}`,
  role: 'member',
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'test',
});

function recipients(input: {
  users: User[];
  teams?: Record<string, string[]>;
  prefs?: Record<string, Partial<NotificationPreferences>>;
  suppressed?: string[];
  /** Bare addresses that confirmed (double opt-in); by default every one asked did. */
  confirmed?: string[];
}) {
  return new PreferenceAwareEmailRecipients({
    users: {
      get: async (_o, userId) => input.users.find((u) => u.id === userId) ?? null,
      findByEmail: async (_o, email) => input.users.find((u) => u.email === email) ?? null,
    },
    teams: {
      membersOf: async (_o, teamId) =>
        (input.teams?.[teamId] ?? []).map((userId) => ({ teamId, userId, role: 'member' as const })),
    },
    preferences: {
      getMany: async (_o, ids) =>
        new Map(
          ids.flatMap((u) =>
            input.prefs?.[u] ? [[u, NotificationPreferencesInput.parse(input.prefs[u])]] : [],
          ),
        ),
    },
    suppressions: { suppressed: async (_o, a) => new Set(a.filter((x) => input.suppressed?.includes(x))) },
    confirmations: {
      states: async (_o, addresses) =>
        new Map(
          addresses
            .filter((a) => input.confirmed === undefined || input.confirmed.includes(a))
            .map((address) => [address, { address, state: 'confirmed' as const, requestedAt: '' }]),
        ),
    },
    clock: { now: () => new Date('2026-12-01T10:00:00Z') },
  });
}

const event = aCanonicalEvent({ type: 'pull_request.merged', tenantId: ORG });

describe('who an email destination reaches', () => {
  it("takes its users, its teams' members and its addresses, each once", async () => {
    const r = recipients({ users: [user(1), user(2), user(3)], teams: { team_a: [id(2), id(3)] } });
    const out = await r.resolve(
      ORG,
      {
        kind: 'email',
        userIds: [id(1), id(2)],
        teamIds: ['team_a' as never],
        addresses: ['ops@example.com', 'OPS@example.com'],
      },
      event,
    );
    expect(out.now).toEqual([
      { channel: 'email', address: 'user1@example.com', userId: id(1) },
      { channel: 'email', address: 'user2@example.com', userId: id(2) },
      { channel: 'email', address: 'user3@example.com', userId: id(3) },
      { channel: 'email', address: 'ops@example.com' },
    ]);
    expect(out.digest).toEqual([]);
  });

  it("applies each user's preferences: muted, kind not wanted and email off are skipped, digest takers returned apart", async () => {
    const r = recipients({
      users: [user(1), user(2), user(3), user(4), user(5)],
      prefs: {
        [id(1)]: { mute: { until: null } },
        [id(2)]: { eventTypes: ['work_item.*'] },
        [id(3)]: { channels: { email: false, chat: true } },
        [id(4)]: { digest: 'hourly' },
      },
    });
    const out = await r.resolve(ORG, { kind: 'email', userIds: [1, 2, 3, 4, 5].map(id) }, event);
    expect(out.now.map((t) => t.userId)).toEqual([id(5)]);
    expect(out.digest).toEqual([id(4)]);
  });

  it("treats a listed address that is a user's as that user, so their preferences still apply", async () => {
    const r = recipients({
      users: [user(1)],
      prefs: { [id(1)]: { channels: { email: false, chat: true } } },
    });
    const out = await r.resolve(ORG, { kind: 'email', addresses: ['user1@example.com'] }, event);
    expect(out.now).toEqual([]);
  });

  it('skips suppressed addresses and deactivated users', async () => {
    const r = recipients({
      users: [user(1), user(2, 'deactivated')],
      suppressed: ['user1@example.com', 'gone@example.com'],
    });
    const out = await r.resolve(
      ORG,
      { kind: 'email', userIds: [id(1), id(2)], addresses: ['gone@example.com', 'ok@example.com'] },
      event,
    );
    expect(out.now).toEqual([{ channel: 'email', address: 'ok@example.com' }]);
  });

  it('leaves out bare addresses that have not confirmed: no message is created for them', async () => {
    const r = recipients({ users: [user(1)], confirmed: ['yes@example.com'] });
    const out = await r.resolve(
      ORG,
      { kind: 'email', addresses: ['yes@example.com', 'not-yet@example.com', 'user1@example.com'] },
      event,
    );
    // A user of the org needs no confirmation: their preferences apply.
    expect(out.now).toEqual([
      { channel: 'email', address: 'user1@example.com', userId: id(1) },
      { channel: 'email', address: 'yes@example.com' },
    ]);
  });
});
