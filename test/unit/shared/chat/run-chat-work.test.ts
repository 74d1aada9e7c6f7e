import type { AuditRecord } from '../../../../shared/audit/audit-record';
import type { BotContext } from '../../../../shared/bot/commands';
import { makeAuthorizeMember } from '../../../../shared/chat/authorize-member';
import { chatLinkKey, verifyChatLinkToken } from '../../../../shared/chat/chat-links';
import type { ChatCard, ChatClient, ChatWork } from '../../../../shared/chat/model';
import type { IdentityLink, OnceRunner } from '../../../../shared/chat/ports';
import { makeRunChatWork } from '../../../../shared/chat/run-chat-work';
import type { Connection } from '../../../../shared/connectors/connection';
import type { User } from '../../../../shared/tenancy/user';
import { identityLinksFake } from '../../../support/identity-links';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const OTHER_ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E9';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E4';
const SETTINGS = { signingSecret: 's3cret', clientId: 'client' };
const NOW = new Date('2026-03-01T12:00:00Z');

const aWork = (overrides: Partial<ChatWork> = {}): ChatWork => ({
  id: 'Ev1',
  orgId: ORG,
  connectionId: CON,
  provider: 'chatfake',
  installationId: 'T1',
  actor: { platformUserId: 'U1', name: 'ada' },
  conversation: 'C1',
  receivedAt: NOW.toISOString(),
  reply: { provider: 'chatfake', data: { url: 'https://chat.example/respond' } },
  request: { kind: 'command', text: 'status WEB-12' },
  ...overrides,
});

const connection = (overrides: Partial<Connection> = {}): Connection => ({
  id: CON,
  orgId: ORG,
  provider: 'chatfake',
  name: 'chat',
  status: 'active',
  config: { baseUrl: null },
  lastError: null,
  webhookUrl: '',
  credentials: { kind: 'chatfake_bot', setAt: NOW.toISOString() },
  previousSecretExpiresAt: null,
  createdAt: NOW.toISOString(),
  ...overrides,
});

const linked: IdentityLink = {
  orgId: ORG,
  provider: 'chatfake',
  platformUserId: 'U1',
  userId: USER,
  connectionId: CON,
  via: 'link',
  linkedAt: NOW.toISOString(),
};
const ada: User = {
  id: USER,
  orgId: ORG,
  email: 'ada@example.com',
  name: 'Ada',
  role: 'member',
  status: 'active',
  createdAt: NOW.toISOString(),
  createdBy: 'key_1',
};

function setup(
  options: {
    links?: IdentityLink[];
    lookupEmail?: string;
    lookupName?: string;
    installationName?: string;
    users?: User[];
    connection?: Connection | null;
    orgStatus?: string;
    rateLimit?: number;
    bot?: (text: string) => ChatCard;
  } = {},
) {
  const counts = new Map<string, number>();
  const users = options.users ?? [ada];
  const reads: string[] = [];
  const finds: string[] = [];
  const replies: ChatCard[] = [];
  const audit: AuditRecord[] = [];
  const ran: { ctx: BotContext; text: string }[] = [];
  const identities = identityLinksFake(options.links ?? []);
  const { links } = identities;
  const saved: { next: Connection; clear: boolean | undefined }[] = [];
  const unbound: string[] = [];
  const forgotten: string[] = [];
  const answers: unknown[] = [];
  const client: ChatClient = {
    post: async () => ({ ok: false, error: 'unused' }),
    respond: async (_c, reply, card) => {
      expect(reply.data.url).toBe('https://chat.example/respond');
      replies.push(card);
      return { ok: true, ref: { conversation: 'C1', messageId: '1' } };
    },
    lookupUser: async (_c, id) => ({
      platformUserId: id,
      ...(options.lookupEmail ? { verifiedEmail: options.lookupEmail } : {}),
      ...(options.lookupName ? { name: options.lookupName } : {}),
    }),
  };
  const seen = new Set<string>();
  const once: OnceRunner = {
    once: async (key, work) => {
      if (seen.has(key)) return 'duplicate';
      seen.add(key);
      await work();
      return 'done';
    },
  };
  const run = makeRunChatWork({
    clients: (provider) => (provider === 'chatfake' ? client : null),
    // The one gate, as the worker's wiring builds it, over fakes of its stores.
    authorizeMember: makeAuthorizeMember({
      appSettings: async () => SETTINGS,
      installationName: (provider, c) =>
        provider === 'chatfake' && c.id === CON ? options.installationName : undefined,
      identities: {
        ...identities.store,
        find: async (orgId, provider, platformUserId) => {
          finds.push(platformUserId);
          return identities.store.find(orgId, provider, platformUserId);
        },
        put: async (link, record) => {
          const stored = await identities.store.put(link, record);
          if (stored === 'linked') audit.push(record);
          return stored;
        },
      },
      rate: {
        // As the DynamoDB limiter counts: one use past the limit says so, the rest are silent.
        consume: async (orgId, who) => {
          const key = `${orgId}#${who.provider}#${who.platformUserId}`;
          const count = (counts.get(key) ?? 0) + 1;
          if (count > (options.rateLimit ?? 100) + 1) return { outcome: 'silent', retryAfterSeconds: 30 };
          counts.set(key, count);
          return count > (options.rateLimit ?? 100)
            ? { outcome: 'over', retryAfterSeconds: 30 }
            : { outcome: 'allowed', retryAfterSeconds: 0 };
        },
      },
      users: {
        findByEmail: async (orgId, email) =>
          users.find((u) => u.orgId === orgId && u.email === email) ?? null,
      },
      actAs: {
        tenants: {
          get: async (orgId) => ({ id: orgId, status: options.orgStatus ?? 'active' }) as never,
        },
        users: {
          get: async (orgId, id) => {
            reads.push(`user ${id}`);
            return users.find((u) => u.orgId === orgId && u.id === id) ?? null;
          },
        },
        access: { get: async () => ({ roles: [], policies: [] }) },
        facts: { load: async () => null as never },
        audit: { append: async (record) => void audit.push(record) },
        clock: { now: () => new Date(NOW) },
      },
      publicUrl: 'https://hub.example',
    }),
    connections: {
      get: async (orgId, id) => {
        const c = options.connection === undefined ? connection() : options.connection;
        return c && c.orgId === orgId && c.id === id ? c : null;
      },
      findWebhookRoute: async () => ({
        orgId: ORG,
        connectionId: CON,
        provider: 'chatfake',
        status: 'active',
        encryptedSecret: 'x',
      }),
      save: async (next, _prev, _route, record, opts) => {
        saved.push({ next, clear: opts?.clearCredentials });
        audit.push(record);
      },
    },
    installations: { unbind: async (provider, id) => void unbound.push(`${provider}:${id}`) },
    conversations: {
      forgetInstallation: async (orgId, provider, id) => {
        forgotten.push(`${orgId}:${provider}:${id}`);
        return 3;
      },
    },
    bot: {
      run: async (ctx, text) => {
        ran.push({ ctx, text });
        return options.bot?.(text) ?? { title: 'ok', fallback: 'ok' };
      },
    },
    approvals: {
      answer: async (input) => {
        answers.push(input);
        return { status: 'decided' };
      },
    },
    audit: { append: async (record) => void audit.push(record) },
    once,
    clock: { now: () => new Date(NOW) },
    publicUrl: 'https://hub.example',
  });
  return { run, replies, audit, ran, links, saved, unbound, forgotten, answers, reads, finds };
}

describe('the chat worker', () => {
  it('runs a linked user’s command as that hub user and replies where the platform asked', async () => {
    const { run, ran, replies } = setup({ links: [linked] });
    expect(await run(aWork())).toBe('done');
    expect(ran).toEqual([
      {
        ctx: {
          orgId: ORG,
          member: {
            userId: USER,
            principal: expect.objectContaining({ id: USER, orgId: ORG, role: 'member' }),
          },
          provider: 'chatfake',
          connectionId: CON,
          conversation: 'C1',
          requestId: 'Ev1',
        },
        text: 'status WEB-12',
      },
    ]);
    expect(replies).toHaveLength(1);
  });

  it('does a piece of work once, however often it is delivered', async () => {
    const { run, ran } = setup({ links: [linked] });
    await run(aWork());
    expect(await run(aWork())).toBe('duplicate');
    expect(ran).toHaveLength(1);
  });

  it('matches an unknown user by the verified email, stores the link, audited', async () => {
    const { run, ran, links, audit } = setup({ lookupEmail: 'Ada@Example.com', users: [ada] });
    await run(aWork());
    expect(ran[0]?.ctx.member.userId).toBe(USER);
    expect(links).toEqual([expect.objectContaining({ userId: USER, via: 'email', platformUserId: 'U1' })]);
    expect(audit).toEqual([expect.objectContaining({ action: 'chat.identity_linked', orgId: ORG })]);
  });

  it('does not link a second account of a hub user in the same workspace by email, and says why', async () => {
    const { run, ran, links, replies } = setup({
      lookupEmail: 'ada@example.com',
      users: [ada],
      links: [{ ...linked, platformUserId: 'U0' }],
    });
    await run(aWork());
    expect(ran).toEqual([]);
    expect(links.map((l) => l.platformUserId)).toEqual(['U0']);
    expect(replies[0]?.text).toMatch(/already linked to another chat account/);
  });

  it('lets an unmatched user do nothing but link, with a signed single-use link for this org', async () => {
    const { run, ran, replies } = setup({ lookupEmail: 'stranger@example.com', users: [ada] });
    await run(aWork({ request: { kind: 'command', text: 'move WEB-12 Done' } }));
    expect(ran).toEqual([]);
    const action = replies[0]?.actions?.[0];
    expect(action?.kind).toBe('link');
    const url = action?.kind === 'link' ? action.url : '';
    expect(url.startsWith('https://hub.example/chat-links/')).toBe(true);
    const claims = verifyChatLinkToken(chatLinkKey(SETTINGS), url.split('/').at(-1) ?? '', NOW);
    expect(claims).toEqual(
      expect.objectContaining({ orgId: ORG, connectionId: CON, provider: 'chatfake', platformUserId: 'U1' }),
    );
  });

  it('names in the link the workspace (name, id) and the person (the name the platform gives, the handle they came with)', async () => {
    const linkClaims = async (options: Parameters<typeof setup>[0]) => {
      const { run, replies } = setup(options);
      await run(aWork({ request: { kind: 'command', text: 'move WEB-12 Done' } }));
      const action = replies[0]?.actions?.[0];
      const token = action?.kind === 'link' ? (action.url.split('/').at(-1) ?? '') : '';
      return verifyChatLinkToken(chatLinkKey(SETTINGS), token, NOW);
    };
    expect(await linkClaims({ lookupName: 'Ada Lovelace', installationName: 'Acme' })).toEqual(
      expect.objectContaining({
        platformUserId: 'U1',
        platformUserName: 'Ada Lovelace',
        platformUserHandle: 'ada',
        installationId: 'T1',
        installationName: 'Acme',
      }),
    );
    // Nothing more known: the name the request gave, and the workspace's id alone.
    const bare = await linkClaims({});
    expect(bare).toEqual(expect.objectContaining({ platformUserName: 'ada', installationId: 'T1' }));
    expect(bare).not.toHaveProperty('platformUserHandle');
    expect(bare).not.toHaveProperty('installationName');
  });

  it('binds the link to the hub user whose email the platform verified, when that user is not active', async () => {
    const { run, ran, replies, links } = setup({
      lookupEmail: 'ada@example.com',
      users: [{ ...ada, status: 'deactivated' }],
    });
    await run(aWork());
    expect(ran).toEqual([]);
    expect(links).toEqual([]);
    const action = replies[0]?.actions?.[0];
    const url = action?.kind === 'link' ? action.url : '';
    const claims = verifyChatLinkToken(chatLinkKey(SETTINGS), url.split('/').at(-1) ?? '', NOW);
    expect(claims?.userId).toBe(USER);
  });

  it("never matches a user of another org by email: the work's org comes from the installation", async () => {
    const { run, ran } = setup({ lookupEmail: 'ada@example.com', users: [{ ...ada, orgId: OTHER_ORG }] });
    await run(aWork());
    expect(ran).toEqual([]);
  });

  it('drops work naming a connection that is not its org’s, doing nothing', async () => {
    const { run, ran, replies } = setup({ links: [linked], connection: connection({ orgId: OTHER_ORG }) });
    await run(aWork());
    expect(ran).toEqual([]);
    expect(replies).toEqual([]);
  });

  it('answers an approval button through the approvals port, as the matched user, with the platform as channel', async () => {
    const { run, answers, replies } = setup({ links: [linked] });
    await run(aWork({ request: { kind: 'action', actionId: 'approval:apr_1:ship:it' } }));
    expect(answers).toEqual([
      { orgId: ORG, approvalId: 'apr_1', option: 'ship:it', userId: USER, channel: 'chatfake' },
    ]);
    expect(replies[0]?.text).toBe('Your answer was recorded.');
  });

  it('ends the connection cleanly on uninstall: needs attention, tokens erased, installation unbound and its conversations forgotten, audited', async () => {
    const { run, saved, unbound, forgotten, audit } = setup();
    await run(aWork({ request: { kind: 'uninstalled' } }));
    expect(unbound).toEqual(['chatfake:T1']);
    expect(forgotten).toEqual([`${ORG}:chatfake:T1`]);
    expect(saved).toEqual([
      { next: expect.objectContaining({ status: 'needs_attention', credentials: null }), clear: true },
    ]);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'chat.uninstalled',
        channel: 'chatfake',
        after: expect.objectContaining({ installationId: 'T1', conversationsForgotten: 3 }),
      }),
    ]);
  });
});

describe('the one member gate of chat work', () => {
  const everyPath: ChatWork['request'][] = [
    { kind: 'command', text: 'help' },
    { kind: 'command', text: 'status WEB-12' },
    { kind: 'command', text: 'move' },
    { kind: 'action', actionId: 'bot:help' },
    { kind: 'action', actionId: 'approval:apr_1:ship' },
    { kind: 'action', actionId: 'unknown:thing' },
  ];

  it.each(everyPath)('gives an unlinked person only the link prompt, for %j', async (request) => {
    const { run, ran, answers, replies, reads } = setup({ users: [] });
    await run(aWork({ request }));
    expect(ran).toEqual([]);
    expect(answers).toEqual([]);
    expect(reads).toEqual([]);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.title).toBe('Link your account to the hub first');
  });

  it.each(everyPath)('refuses a linked but deactivated hub user, for %j', async (request) => {
    const { run, ran, answers, replies } = setup({
      links: [linked],
      users: [{ ...ada, status: 'deactivated' }],
    });
    await run(aWork({ request }));
    expect(ran).toEqual([]);
    expect(answers).toEqual([]);
    expect(replies).toEqual([
      expect.objectContaining({ tone: 'danger', text: expect.stringMatching(/deactivated/) }),
    ]);
  });

  it('refuses every member of an org that is not active', async () => {
    const { run, ran, replies } = setup({ links: [linked], orgStatus: 'suspended' });
    await run(aWork({ request: { kind: 'command', text: 'help' } }));
    expect(ran).toEqual([]);
    expect(replies[0]?.text).toMatch(/suspended/);
  });

  it('admits a linked, active member to help and buttons, read from the hub’s records', async () => {
    const { run, ran, reads } = setup({ links: [linked] });
    await run(aWork({ id: 'Ev1', request: { kind: 'command', text: 'help' } }));
    await run(aWork({ id: 'Ev2', request: { kind: 'action', actionId: 'bot:status:WEB-12' } }));
    expect(ran.map((r) => r.text)).toEqual(['help', 'status WEB-12']);
    expect(reads).toEqual([`user ${USER}`, `user ${USER}`]);
  });
});

describe('the chat per-user rate', () => {
  const command = (n: number, text = 'help'): ChatWork =>
    aWork({ id: `Ev${n}`, request: { kind: 'command', text } });

  it('counts an unmatched person’s refused work: past the rate, one warning, then silence, nothing read', async () => {
    const { run, replies, finds } = setup({ users: [], rateLimit: 2 });
    for (let n = 1; n <= 5; n++) await run(command(n));
    expect(replies.map((r) => r.title)).toEqual([
      'Link your account to the hub first',
      'Link your account to the hub first',
      'Too many requests',
    ]);
    // Past the rate the person is not even looked up.
    expect(finds).toEqual(['U1', 'U1']);
  });

  it('counts RBAC and Cedar refusals against the same rate as successful commands', async () => {
    const refusal = {
      title: 'The hub could not do that',
      text: 'The role does not grant work_items:manage',
      fallback: 'x',
    };
    const { run, ran, replies } = setup({
      links: [linked],
      rateLimit: 3,
      bot: (text) => (text.startsWith('move') ? refusal : { title: 'ok', fallback: 'ok' }),
    });
    await run(command(1, 'move WEB-12 Done'));
    await run(command(2, 'move WEB-12 Done'));
    await run(command(3, 'status WEB-12'));
    await run(command(4, 'status WEB-12'));
    expect(ran.map((r) => r.text)).toEqual(['move WEB-12 Done', 'move WEB-12 Done', 'status WEB-12']);
    expect(replies.at(-1)?.title).toBe('Too many requests');
  });

  it('counts approval buttons too, and each person apart', async () => {
    const { run, answers, replies } = setup({ links: [linked], rateLimit: 1 });
    await run(aWork({ id: 'Ev1', request: { kind: 'action', actionId: 'approval:apr_1:ship' } }));
    await run(aWork({ id: 'Ev2', request: { kind: 'action', actionId: 'approval:apr_1:ship' } }));
    expect(answers).toHaveLength(1);
    expect(replies.at(-1)?.title).toBe('Too many requests');
    await run(aWork({ id: 'Ev3', actor: { platformUserId: 'U2' } }));
    expect(replies.at(-1)?.title).toBe('Link your account to the hub first');
  });
});

describe('the chat worker, on install', () => {
  it('makes a connection an uninstall left needing attention active again, audited', async () => {
    const { run, saved, audit } = setup({ connection: connection({ status: 'needs_attention' }) });
    await run(aWork({ request: { kind: 'installed' } }));
    expect(saved).toEqual([
      { next: expect.objectContaining({ status: 'active', lastError: null }), clear: undefined },
    ]);
    expect(audit).toEqual([expect.objectContaining({ action: 'chat.installed', channel: 'chatfake' })]);
  });

  it('records an install of an active connection without changing it', async () => {
    const { run, saved, audit } = setup();
    await run(aWork({ request: { kind: 'installed' } }));
    expect(saved).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ action: 'chat.installed' })]);
  });
});
