import { ValidationError } from '../../../../../shared/errors';
import type { Principal } from '../../../../../shared/identity/principal';
import { makeChatRenderer } from '../../../../../shared/notify/chat/chat-channel';
import { ConnectionChatRecipients } from '../../../../../shared/notify/chat/chat-recipients';
import type { NotificationPreferences } from '../../../../../shared/notify/email/preferences';
import { DEFAULT_PREFERENCES } from '../../../../../shared/notify/email/preferences';
import { makeMatcher } from '../../../../../shared/notify/match/match';
import type { DeliveryTarget } from '../../../../../shared/notify/model';
import { DestinationSchema, targetKey } from '../../../../../shared/notify/model';
import { makeManageNotificationRules } from '../../../../../shared/notify/rules/manage-rules';
import type { NotificationRule } from '../../../../../shared/notify/rules/rule';
import { CreateNotificationRuleRequest } from '../../../../../shared/notify/rules/rule';
import type { RuleReferences } from '../../../../../shared/notify/rules/validate-rule';
import { validateRule } from '../../../../../shared/notify/rules/validate-rule';
import { anEvent, aRule, CON, ORG, USR } from '../rules/builders';

const CHAT_CON = 'con_01M8F79MGRCMY1JDM07R52VC10';
const PAUSED_CON = 'con_01M8F79MGRCMY1JDM07R52VC11';
const OTHER_USER = 'usr_01M8F79MGRCMY1JDM07R52VC12';

const connection = (id: string, provider: string, status = 'active') => ({
  id,
  orgId: ORG,
  provider,
  name: id,
  status,
  config: { baseUrl: null },
  lastError: null,
});
// `chat-x` plays the chat part; `tracker` does not.
const CONNECTIONS: Record<string, ReturnType<typeof connection>> = {
  [CHAT_CON]: connection(CHAT_CON, 'chat-x'),
  [PAUSED_CON]: connection(PAUSED_CON, 'chat-x', 'needs_attention'),
  [CON]: connection(CON, 'tracker'),
};
const chatProviders = { has: (provider: string) => provider === 'chat-x' };
const users = {
  get: async (_o: string, id: string) =>
    id === USR ? ({ id, orgId: ORG, status: 'active', email: 'ada@example.com' } as never) : null,
};
const refs: RuleReferences = {
  endpoints: { get: async () => null },
  users,
  teams: { get: async () => null },
  connections: { get: async (_o, id) => (CONNECTIONS[id] as never) ?? null },
  chatProviders,
};

const issuesOf = async (destination: Record<string, unknown>, given: RuleReferences = refs) => {
  try {
    await validateRule(aRule({ destinations: [destination] }), given);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).extensions.errors;
  }
};

describe('a chat destination', () => {
  it('is a connection and a conversation, and nothing else', () => {
    expect(
      DestinationSchema.safeParse({ kind: 'chat', connectionId: CHAT_CON, conversation: 'C1' }).success,
    ).toBe(true);
    for (const bad of [
      { kind: 'chat', connectionId: 'nope', conversation: 'C1' },
      { kind: 'chat', connectionId: CHAT_CON, conversation: '' },
      { kind: 'chat', connectionId: CHAT_CON, conversation: 'C'.repeat(201) },
      { kind: 'chat', connectionId: CHAT_CON, conversation: 'C1', thread: 'x' },
    ])
      expect(DestinationSchema.safeParse(bad).success).toBe(false);
  });

  it('keys its target by connection and conversation', () => {
    const target: DeliveryTarget = {
      channel: 'chat',
      provider: 'chat-x',
      connectionId: CHAT_CON,
      conversation: 'C1',
    };
    expect(targetKey(target)).toBe(`chat:${CHAT_CON}:C1`);
  });

  it('is valid on an active connection whose provider plays the chat part, to a channel or a user of the org', async () => {
    expect(await issuesOf({ kind: 'chat', connectionId: CHAT_CON, conversation: 'C0123' })).toEqual([]);
    expect(await issuesOf({ kind: 'chat', connectionId: CHAT_CON, conversation: `user:${USR}` })).toEqual([]);
  });

  it('is refused, naming the field, when its connection is missing, inactive, or not a chat provider', async () => {
    const missing = 'con_01M8F79MGRCMY1JDM07R52VC99';
    expect(await issuesOf({ kind: 'chat', connectionId: missing, conversation: 'C1' })).toEqual([
      { path: 'destinations.0.connectionId', message: `no connection ${missing} in this organisation` },
    ]);
    expect(await issuesOf({ kind: 'chat', connectionId: PAUSED_CON, conversation: 'C1' })).toEqual([
      { path: 'destinations.0.connectionId', message: expect.stringContaining('needs attention') },
    ]);
    expect(await issuesOf({ kind: 'chat', connectionId: CON, conversation: 'C1' })).toEqual([
      { path: 'destinations.0.connectionId', message: expect.stringContaining('has no chat part') },
    ]);
    const { chatProviders: _none, ...withoutCatalog } = refs;
    expect(
      await issuesOf({ kind: 'chat', connectionId: CHAT_CON, conversation: 'C1' }, withoutCatalog),
    ).toEqual([
      { path: 'destinations.0.connectionId', message: expect.stringContaining('has no chat part') },
    ]);
  });

  it('is refused when it names a DM of a user the org does not have, or not a user id', async () => {
    expect(
      await issuesOf({ kind: 'chat', connectionId: CHAT_CON, conversation: `user:${OTHER_USER}` }),
    ).toEqual([
      { path: 'destinations.0.conversation', message: `no user ${OTHER_USER} in this organisation` },
    ]);
    expect(await issuesOf({ kind: 'chat', connectionId: CHAT_CON, conversation: 'user:ada' })).toEqual([
      { path: 'destinations.0.conversation', message: expect.stringContaining('user:usr_') },
    ]);
  });
});

describe('matching a chat destination', () => {
  const prefs = new Map<string, NotificationPreferences>();
  const recipients = new ConnectionChatRecipients({
    connections: refs.connections,
    providers: chatProviders,
    users,
    preferences: { getMany: async () => prefs },
    clock: { now: () => new Date('2026-02-01T12:00:00.000Z') },
  });
  const queued: DeliveryTarget[][] = [];
  const match = makeMatcher({
    endpoints: { listEnabled: async () => [] },
    deliveries: {
      enqueue: async (_e, targets) => {
        queued.push([...targets]);
        return { created: targets.length, existing: 0 };
      },
    },
    rules: {
      destinationsFor: async () => [
        { ruleId: 'r1', destination: { kind: 'chat', connectionId: CHAT_CON, conversation: 'C1' } },
        { ruleId: 'r2', destination: { kind: 'chat', connectionId: CHAT_CON, conversation: 'C1' } },
        { ruleId: 'r3', destination: { kind: 'chat', connectionId: CHAT_CON, conversation: `user:${USR}` } },
        { ruleId: 'r4', destination: { kind: 'chat', connectionId: PAUSED_CON, conversation: 'C2' } },
        { ruleId: 'r5', destination: { kind: 'chat', connectionId: CON, conversation: 'C3' } },
      ],
    },
    chat: recipients,
  });
  beforeEach(() => {
    queued.length = 0;
    prefs.clear();
  });

  it('queues one chat target per conversation, with the provider of its connection; inactive and non-chat connections reach nobody', async () => {
    expect(await match(anEvent('pull_request.merged'))).toEqual({ targets: 2, created: 2 });
    expect(queued[0]).toEqual([
      { channel: 'chat', provider: 'chat-x', connectionId: CHAT_CON, conversation: 'C1' },
      { channel: 'chat', provider: 'chat-x', connectionId: CHAT_CON, conversation: `user:${USR}` },
    ]);
  });

  it("leaves out a user's DM when their preferences turn chat off, mute them, or do not take the type", async () => {
    for (const p of [
      { ...DEFAULT_PREFERENCES, channels: { email: true, chat: false } },
      { ...DEFAULT_PREFERENCES, mute: { until: null } },
      { ...DEFAULT_PREFERENCES, eventTypes: ['work_item.*'] },
    ]) {
      prefs.set(USR, p);
      queued.length = 0;
      await match(anEvent('pull_request.merged'));
      expect(queued[0]).toEqual([
        { channel: 'chat', provider: 'chat-x', connectionId: CHAT_CON, conversation: 'C1' },
      ]);
    }
    // Email off alone leaves chat on.
    prefs.set(USR, { ...DEFAULT_PREFERENCES, channels: { email: false, chat: true } });
    queued.length = 0;
    await match(anEvent('pull_request.merged'));
    expect(queued[0]).toHaveLength(2);
  });
});

describe('trying a rule with a chat destination', () => {
  it('shows the card JSON it would post, sending nothing', async () => {
    const rules = new Map<string, NotificationRule>();
    const manage = makeManageNotificationRules({
      orgs: { get: async () => ({ plan: 'free' }) as never },
      rules: {
        create: async (rule) => void rules.set(rule.id, rule),
        get: async (_o, id) =>
          rules.has(id) ? { value: rules.get(id) as NotificationRule, version: 1 } : null,
        list: async () => ({ items: [], nextCursor: null }),
        listEnabled: async () => [],
        save: async () => undefined,
        remove: async () => undefined,
      },
      refs,
      users,
      teams: { get: async () => null, membersOf: async () => [] },
      events: { get: async () => undefined },
      claims: {} as never,
      channels: { chat: makeChatRenderer({ providerNames: () => 'Chat X' }) },
      clock: { now: () => new Date('2026-02-01T12:00:00.000Z') },
    });
    const principal: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'owner',
      orgId: ORG,
      role: 'owner',
    };
    const rule = await manage.create(
      ORG,
      CreateNotificationRuleRequest.parse({
        name: 'merges to chat',
        eventTypes: ['pull_request.merged'],
        destinations: [{ kind: 'chat', connectionId: CHAT_CON, conversation: 'C0123' }],
      }),
      principal,
      { requestId: 'r1', ip: '203.0.113.9', userAgent: 'jest' },
    );
    const result = await manage.test(ORG, rule.id, { sample: 'pull_request.merged' });
    expect(result.matched).toBe(true);
    const [delivery] = result.deliveries;
    expect(delivery?.rendered).toHaveLength(1);
    const rendered = delivery?.rendered[0];
    expect(rendered).toMatchObject({ channel: 'chat', contentType: 'application/json' });
    expect(JSON.parse(rendered?.body ?? '{}')).toMatchObject({
      title: 'PR #42 merged: Add rate limiting to the public API',
      titleUrl: 'https://example.com/acme/web/pull/42',
      tone: 'good',
      fields: expect.arrayContaining([{ label: 'State', value: 'merged' }]),
    });
  });
});
