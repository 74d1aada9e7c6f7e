import { approvalEvent } from '../../../../../shared/approvals/events';
import { makeTeamsClient, teamsBotRuntime } from '../../../../../shared/connectors/msteams/client';
import { teamsProvider } from '../../../../../shared/connectors/msteams/module';
import { teamsReferences } from '../../../../../shared/connectors/msteams/references';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import { newId } from '../../../../../shared/ids';
import { makeChatChannel } from '../../../../../shared/notify/chat/chat-channel';
import type { ChatTarget } from '../../../../../shared/notify/chat/chat-recipients';
import { makeDmFailureNotices } from '../../../../../shared/notify/chat/dm-failure-notices';
import type { DeliveryMessage } from '../../../../../shared/notify/model';
import type { NotificationRule, RuleCreator } from '../../../../../shared/notify/rules/rule';
import type { MailMessage } from '../../../../../shared/ports/mailer';
import type { User } from '../../../../../shared/tenancy/user';
import type { FakeTeams } from '../../../../fakes/msteams/fake-teams';
import {
  startFakeTeams,
  TEAMS_BOT_ID,
  TEAMS_GUEST,
  TEAMS_PERSON,
  TEAMS_TENANT,
} from '../../../../fakes/msteams/fake-teams';
import { aCanonicalEvent } from '../../../../support/builders';
import { teamsDeps } from '../../connectors/msteams/harness';

let fake: FakeTeams;
const orgId = 'org_01JDMNOTICE';
const connectionId = 'con_01JDMNOTICE';
const channel = '19:asked-here@thread.tacv2';
const ada = newId('usr');
const gus = newId('usr');
const tia = newId('usr');
const links: Record<string, string> = { [gus]: TEAMS_GUEST.aadObjectId, [tia]: TEAMS_PERSON.aadObjectId };
const user = (id: string, name: string, email: string): User => ({
  id,
  orgId,
  email,
  name,
  role: 'member',
  status: 'active',
  createdAt: new Date().toISOString(),
  createdBy: 'test',
});
const users = new Map<string, User>([
  [ada, user(ada, 'Ada', 'ada@example.test')],
  [gus, user(gus, 'Gus', 'gus@example.test')],
  [tia, user(tia, 'Tia', 'tia@example.test')],
]);

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel, { members: [TEAMS_PERSON] });
});
afterAll(async () => fake.stop());

const rule = (conversation: string, createdBy?: RuleCreator, name = 'Releases'): NotificationRule =>
  ({
    id: newId('nrule'),
    orgId,
    name,
    description: '',
    enabled: true,
    eventTypes: ['*'],
    conditions: {},
    destinations: [{ kind: 'chat', connectionId, conversation }],
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    ...(createdBy ? { createdBy } : {}),
  }) as NotificationRule;

/** The chat channel with the Teams client and the notices, in a bound tenant; its mail and clock the test's. */
async function setUp(rules: NotificationRule[], options: { suppressed?: string[] } = {}) {
  const h = teamsDeps(fake.settings);
  await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  await h.deps.installations.bind('msteams', TEAMS_TENANT, orgId, connectionId);
  await teamsReferences(h.deps.conversations as never).remember(
    orgId,
    { conversationId: channel, serviceUrl: fake.serviceUrl, tenantId: TEAMS_TENANT, botId: TEAMS_BOT_ID },
    new Date(),
  );
  const client = makeTeamsClient(h.deps, teamsBotRuntime(h.deps));
  const mail: MailMessage[] = [];
  const claimed = new Map<string, Date>();
  let now = new Date('2026-12-03T09:00:00.000Z');
  const notices = makeDmFailureNotices({
    rules: { listEnabled: async (id) => (id === orgId ? rules : []) },
    users: { get: async (id, userId) => (id === orgId ? (users.get(userId) ?? null) : null) },
    once: {
      claim: async (key, expiresAt) => {
        const held = claimed.get(key);
        if (held && held > now) return false;
        claimed.set(key, expiresAt);
        return true;
      },
    },
    clients: { msteams: client },
    mailer: {
      send: async (m) => {
        mail.push(m);
        return { messageId: `m${mail.length}` };
      },
    },
    suppressions: { suppressed: async () => new Set(options.suppressed ?? []) },
    providerName: () => 'Microsoft Teams',
    // The Teams module says what to do; the generic layer only asks it.
    dmFix: (provider) => (provider === 'msteams' ? teamsProvider.chat?.undeliverableDmFix : undefined),
    clock: { now: () => now },
  });
  const chat = makeChatChannel({
    clients: { msteams: client },
    refs: {
      find: async () => null,
      claim: async () => true,
      record: async () => undefined,
      release: async () => undefined,
      noteShown: async () => true,
    },
    connections: h.deps.connections,
    identities: { platformUserOf: async (_org, _provider, userId) => links[userId] ?? null },
    markNeedsAttention: async () => undefined,
    dmFailures: notices,
    clock: { now: () => now },
  });
  const dm = (userId: string, event: CanonicalEvent = aCanonicalEvent({ tenantId: orgId })) => {
    const message = {
      orgId,
      id: newId('msg'),
      eventId: event.id,
      eventType: event.type,
      target: { channel: 'chat', provider: 'msteams', connectionId, conversation: `user:${userId}` },
      status: 'pending',
      attempts: 0,
      createdAt: now.toISOString(),
    } as DeliveryMessage & { target: ChatTarget };
    return chat.send(message, event);
  };
  const saidInChannel = () =>
    [...(fake.conversations.get(channel)?.activities.values() ?? [])].map((a) => JSON.stringify(a));
  return {
    dm,
    mail,
    saidInChannel,
    later: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

describe('a DM the platform refused to open', () => {
  it('is told by email to whoever made the rule, with the reason and the fix, once per destination a day', async () => {
    const { dm, mail, later } = await setUp([
      rule(`user:${gus}`, { userId: ada, name: 'Ada' }),
      rule(`user:${gus}`, { userId: ada, name: 'Ada' }, 'Incidents'),
    ]);
    const outcome = await dm(gus);
    // The delivery itself fails as before, with its reason.
    expect(outcome).toMatchObject({
      ok: false,
      permanent: 'rejected',
      error: expect.stringContaining('not a member of the bound tenant'),
    });
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({
      to: 'ada@example.test',
      subject: 'A Microsoft Teams direct message could not be delivered',
      tags: { orgId },
    });
    expect(mail[0]?.text).toContain('to Gus');
    expect(mail[0]?.text).toContain('Teams refused a 1:1 chat with the user: the user is not a member');
    expect(mail[0]?.text).toContain('install the hub app personally');
    // The same destination failing again that day tells nobody again; the next day it does.
    await dm(gus);
    later(3_600_000);
    await dm(gus);
    expect(mail).toHaveLength(1);
    later(24 * 3_600_000);
    await dm(gus);
    expect(mail).toHaveLength(2);
  });

  it('is told in the conversation the rule was asked for in, naming neither the DM nor the rule there (the email says which)', async () => {
    const { dm, mail, saidInChannel } = await setUp([
      rule(`user:${gus}`, {
        userId: tia,
        name: 'Tia',
        askedIn: { provider: 'msteams', connectionId, conversation: channel },
      }),
    ]);
    const before = saidInChannel().length;
    await dm(gus);
    const said = saidInChannel().slice(before);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('could not be delivered');
    expect(said[0]).toContain('install the hub app personally');
    // The channel's members are not all the rule's creator: whose DM and which rule go by email.
    expect(said[0]).not.toContain('Gus');
    expect(said[0]).not.toContain('Releases');
    expect(mail).toHaveLength(1);
    expect(mail[0]?.to).toBe('tia@example.test');
    expect(mail[0]?.text).toContain('to Gus for your notification rule "Releases"');
  });

  it('tells nobody when the DM opens, when no rule says who asked, or when the asker’s address is suppressed', async () => {
    const opened = await setUp([rule(`user:${tia}`, { userId: ada, name: 'Ada' })]);
    expect(await opened.dm(tia)).toMatchObject({ ok: true });
    expect(opened.mail).toEqual([]);

    const unknown = await setUp([rule(`user:${gus}`), rule(`user:${tia}`, { userId: ada, name: 'Ada' })]);
    expect(await unknown.dm(gus)).toMatchObject({ ok: false, permanent: 'rejected' });
    expect(unknown.mail).toEqual([]);

    const suppressed = await setUp([rule(`user:${gus}`, { userId: ada, name: 'Ada' })], {
      suppressed: ['ada@example.test'],
    });
    expect(await suppressed.dm(gus)).toMatchObject({ ok: false, permanent: 'rejected' });
    expect(suppressed.mail).toEqual([]);
  });

  it('is told to the person who asked an approval whose question went to a DM that could not be opened', async () => {
    const { dm, mail } = await setUp([]);
    const at = new Date();
    const asked = approvalEvent(
      'approval.requested',
      {
        id: 'apr_1',
        orgId,
        status: 'pending',
        question: 'Ship the release?',
        options: [{ id: 'yes', label: 'Yes' }],
        answerers: { userIds: [gus], teamIds: [], roles: [] },
        destination: { kind: 'chat', provider: 'msteams', connectionId, conversation: `user:${gus}` },
        context: null,
        callbackEndpointId: null,
        requestedBy: { type: 'user', id: tia, name: 'Tia' },
        createdAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + 3_600_000).toISOString(),
        decision: null,
        cancelled: null,
        expiredAt: null,
      },
      at,
      'req-1',
    );
    expect(await dm(gus, asked)).toMatchObject({ ok: false, permanent: 'rejected' });
    expect(mail.map((m) => m.to)).toEqual(['tia@example.test']);
    expect(mail[0]?.text).toContain('your approval request "Ship the release?"');
  });

  it('is not told for a wait: a rate-limited open is retried, not reported', async () => {
    const { dm, mail } = await setUp([rule(`user:${tia}`, { userId: ada, name: 'Ada' })]);
    fake.rateLimitNext(1, 7);
    expect(await dm(tia)).toMatchObject({ ok: false, retryAfterSeconds: 7 });
    expect(mail).toEqual([]);
  });
});
