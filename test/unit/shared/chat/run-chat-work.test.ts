import type { AuditRecord } from '../../../../shared/audit/audit-record';
import type { BotContext } from '../../../../shared/bot/commands';
import { chatLinkKey, verifyChatLinkToken } from '../../../../shared/chat/chat-links';
import type { ChatCard, ChatClient, ChatWork } from '../../../../shared/chat/model';
import type { IdentityLink, OnceRunner } from '../../../../shared/chat/ports';
import { makeRunChatWork } from '../../../../shared/chat/run-chat-work';
import type { Connection } from '../../../../shared/connectors/connection';
import type { User } from '../../../../shared/tenancy/user';

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

function setup(
  options: {
    links?: IdentityLink[];
    lookupEmail?: string;
    users?: User[];
    connection?: Connection | null;
  } = {},
) {
  const replies: ChatCard[] = [];
  const audit: AuditRecord[] = [];
  const ran: { ctx: BotContext; text: string }[] = [];
  const links = [...(options.links ?? [])];
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
    appSettings: async () => SETTINGS,
    identities: {
      find: async (orgId, provider, platformUserId) =>
        links.find(
          (l) => l.orgId === orgId && l.provider === provider && l.platformUserId === platformUserId,
        ) ?? null,
      put: async (link, record) => {
        links.push(link);
        audit.push(record);
      },
    },
    users: {
      get: async () => null,
      findByEmail: async (orgId, email) =>
        (options.users ?? []).find((u) => u.orgId === orgId && u.email === email) ?? null,
    },
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
        return { title: 'ok', fallback: 'ok' };
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
  return { run, replies, audit, ran, links, saved, unbound, forgotten, answers };
}

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

describe('the chat worker', () => {
  it('runs a linked user’s command as that hub user and replies where the platform asked', async () => {
    const { run, ran, replies } = setup({ links: [linked] });
    expect(await run(aWork())).toBe('done');
    expect(ran).toEqual([
      {
        ctx: {
          orgId: ORG,
          userId: USER,
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
    expect(ran[0]?.ctx.userId).toBe(USER);
    expect(links).toEqual([expect.objectContaining({ userId: USER, via: 'email', platformUserId: 'U1' })]);
    expect(audit).toEqual([expect.objectContaining({ action: 'chat.identity_linked', orgId: ORG })]);
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
