import type { AuditRecord } from '../../../../shared/audit/audit-record';
import type { AccessPolicy } from '../../../../shared/authz/org-access';
import type { BotContext, BotDeps } from '../../../../shared/bot/commands';
import { makeBotCommands } from '../../../../shared/bot/commands';
import type { ChatMember } from '../../../../shared/chat/authorize-member';

const fixedClock = (at: Date) => ({ now: () => new Date(at) });

import type { User } from '../../../../shared/tenancy/user';
import { aLink, aMapping } from '../../../support/builders';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const CHAT_CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E4';

const userWith = (role: string, status: User['status'] = 'active'): User => ({
  id: USER,
  orgId: ORG,
  email: 'ada@example.com',
  name: 'Ada',
  role,
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'key_1',
});

function setup(options: { role?: string; policies?: AccessPolicy[] } = {}) {
  const audit: AuditRecord[] = [];
  const mapping = aMapping();
  const link = aLink({
    orgId: ORG,
    tracker: {
      connectionId: mapping.tracker.connectionId,
      provider: 'jira',
      container: 'WEB',
      id: '10012',
      key: 'WEB-12',
      url: 'https://jira.example/WEB-12',
    },
    fields: {
      title: { value: 'Fix login', at: '2026-01-01T00:00:00.000Z', side: 'tracker' },
      status: { value: 'In Progress', at: '2026-01-01T00:00:00.000Z', side: 'tracker' },
    },
    pullRequests: [
      { repository: 'acme/web', number: 7, url: 'https://github.example/acme/web/pull/7', state: 'open' },
    ],
    lastSyncedAt: '2026-01-02T00:00:00.000Z',
  });
  const calls: string[] = [];
  const tracker = {
    createItem: async (project: string, _type: string | undefined, fields: { title?: string }) => {
      calls.push(`create ${project} ${fields.title}`);
      return { ref: { id: '10013', key: 'WEB-13', url: 'https://jira.example/WEB-13' }, status: 'To Do' };
    },
    moveTo: async (key: string, status: string) => {
      calls.push(`move ${key} ${status}`);
    },
    updateItem: async (_c: string, ref: { key: string }, fields: { assignee?: string | null }) => {
      calls.push(`assign ${ref.key} ${fields.assignee}`);
    },
  };
  const deps: BotDeps = {
    gate: {
      tenants: { get: async () => ({ id: ORG, status: 'active' }) as never },
      users: { get: async () => userWith(options.role ?? 'member') },
      access: { get: async () => ({ roles: [], policies: options.policies ?? [] }) },
      facts: {
        load: async () => ({
          teams: [],
          memberships: [],
          principalKey: null,
          resourceUser: null,
          resourceKey: null,
        }),
      },
      audit: { append: async (record: AuditRecord) => void audit.push(record) },
      clock: fixedClock(new Date('2026-03-01T12:00:00Z')),
    },
    sync: {
      listMappings: async () => [mapping],
      findLinkId: async (_org: string, key: string) =>
        key === `key#${mapping.tracker.connectionId}#WEB-12` ? link.id : null,
    },
    getLink: async () => link,
    openBranch: async (_o, _l, _opts, principal, request) => {
      calls.push(`branch by ${principal.id} via ${request.channel}`);
      return { ...link, branch: 'WEB-12-fix-login' };
    },
    createRule: async (orgId, input, principal, request, askedIn) => {
      calls.push(
        `rule ${JSON.stringify(input.destinations)} by ${principal.id} via ${request.channel} asked in ${JSON.stringify(askedIn)}`,
      );
      return { id: 'nrule_1', orgId, ...input, createdAt: '', updatedAt: '' } as never;
    },
    trackers: { tracker: async () => ({ client: tracker, connector: { displayName: 'Jira' } }) as never },
  };
  // As the one gate admits a member (`authorizeMember`, tested with the chat worker).
  const member = {
    userId: USER,
    principal: {
      kind: 'org_member',
      type: 'user',
      id: USER,
      name: 'Ada',
      email: 'ada@example.com',
      orgId: ORG,
      role: options.role ?? 'member',
    },
  } as ChatMember;
  const ctx: BotContext = {
    orgId: ORG,
    member,
    provider: 'chatfake',
    connectionId: CHAT_CON,
    conversation: 'C123',
    requestId: 'Ev1',
  };
  return { bot: makeBotCommands(deps), ctx, audit, calls, deps };
}

describe('the bot commands, as the matched hub user', () => {
  it('answers status with the item, its link, pull requests and last sync', async () => {
    const { bot, ctx } = setup();
    const card = await bot.run(ctx, '/hub status web-12');
    expect(card.title).toBe('WEB-12: Fix login');
    expect(card.titleUrl).toBe('https://jira.example/WEB-12');
    expect(card.fields).toEqual(
      expect.arrayContaining([
        { label: 'Status', value: 'In Progress' },
        { label: 'Last sync', value: '2026-01-02T00:00:00.000Z' },
        expect.objectContaining({ label: 'Pull requests', value: expect.stringContaining('#7') }),
      ]),
    );
  });

  it('moves an item for a member, audited with the platform as the channel', async () => {
    const { bot, ctx, audit, calls } = setup({ role: 'member' });
    const card = await bot.run(ctx, 'move WEB-12 Done');
    expect(card.tone).toBe('good');
    expect(calls).toEqual(['move WEB-12 Done']);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'work_item.moved',
        orgId: ORG,
        channel: 'chatfake',
        actor: { type: 'user', id: USER, name: 'Ada' },
        targets: [{ type: 'work_item', id: 'WEB-12' }],
      }),
    ]);
  });

  it('refuses a viewer by role, audits the refusal, and moves nothing', async () => {
    const { bot, ctx, audit, calls } = setup({ role: 'viewer' });
    const card = await bot.run(ctx, 'move WEB-12 Done');
    expect(card.tone).toBe('danger');
    expect(card.text).toMatch(/does not grant work_items:manage/);
    expect(calls).toEqual([]);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'bot.moveWorkItem', outcome: 'denied', channel: 'chatfake' }),
    ]);
  });

  it("applies the org's Cedar policies as the API does", async () => {
    const forbid: AccessPolicy = {
      id: 'no-moves',
      description: '',
      statement: 'forbid (principal, action == Hub::Action::"work_items:manage", resource);',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const { bot, ctx, calls } = setup({ role: 'owner', policies: [forbid] });
    const card = await bot.run(ctx, 'move WEB-12 Done');
    expect(card.text).toMatch(/no-moves/);
    expect(calls).toEqual([]);
  });

  it('creates an item in the mapped project', async () => {
    const { bot, ctx, calls, audit } = setup();
    const card = await bot.run(ctx, 'create web Fix the logout page');
    expect(calls).toEqual(['create WEB Fix the logout page']);
    expect(card.title).toBe('WEB-13: Fix the logout page');
    expect(audit[0]).toEqual(expect.objectContaining({ action: 'work_item.created', channel: 'chatfake' }));
  });

  it("assigns to the asker with @me (the hub user's email)", async () => {
    const { bot, ctx, calls } = setup();
    await bot.run(ctx, 'assign WEB-12 @me');
    expect(calls).toEqual(['assign WEB-12 ada@example.com']);
  });

  it("assigns the provider's user found by the email, where the tracker can look people up", async () => {
    const { bot, ctx, calls, audit, deps } = setup();
    const asked: unknown[] = [];
    const opened = await deps.trackers.tracker(ORG, 'con');
    Object.assign(opened.client, {
      findUser: async (query: { email: string }) => {
        asked.push(query);
        return query.email === 'ada@example.com' ? 'acct-ada' : null;
      },
    });
    expect((await bot.run(ctx, 'assign WEB-12 @me')).text).toBe('Assigned to ada@example.com.');
    expect(calls).toEqual(['assign WEB-12 acct-ada']);
    expect(audit[0]).toMatchObject({ after: { assignee: 'acct-ada', email: 'ada@example.com' } });
    const unknown = await bot.run(ctx, 'assign WEB-12 eve@example.com');
    expect(unknown.text).toBe('Jira has no one user with the email eve@example.com');
    expect(calls).toEqual(['assign WEB-12 acct-ada']);
    expect(asked).toEqual([{ email: 'ada@example.com' }, { email: 'eve@example.com' }]);
  });

  it('says which project no mapping syncs', async () => {
    const { bot, ctx } = setup();
    expect((await bot.run(ctx, 'move OPS-1 Done')).text).toBe('No mapping syncs project OPS');
  });

  it('opens a branch through the API use case, as the user, for admins only', async () => {
    const member = setup({ role: 'member' });
    expect((await member.bot.run(member.ctx, 'link WEB-12 acme/web')).text).toMatch(/sync:manage/);
    const admin = setup({ role: 'admin' });
    const card = await admin.bot.run(admin.ctx, 'link WEB-12 acme/web');
    expect(admin.calls).toEqual([`branch by ${USER} via chatfake`]);
    expect(card.text).toContain('WEB-12-fix-login');
  });

  it('subscribes the conversation with a chat destination on the installation', async () => {
    const { bot, ctx, calls } = setup({ role: 'admin' });
    const card = await bot.run(ctx, 'subscribe pull_request.*');
    expect(card.title).toBe('Subscribed');
    expect(calls).toEqual([
      `rule [{"kind":"chat","connectionId":"${CHAT_CON}","conversation":"C123"}] by ${USER} via chatfake asked in {"provider":"chatfake","connectionId":"${CHAT_CON}","conversation":"C123"}`,
    ]);
  });

  it('answers help and a malformed command without acting', async () => {
    const { bot, ctx, calls, audit } = setup();
    expect((await bot.run(ctx, 'help')).title).toBe('Hub commands');
    expect((await bot.run(ctx, 'move')).tone).toBe('warning');
    expect(calls).toEqual([]);
    expect(audit).toEqual([]);
  });
});
