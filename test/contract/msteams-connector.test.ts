import type { ChatCard, ChatConnection } from '../../shared/chat/model';
import { makeTeamsClient, teamsBotRuntime } from '../../shared/connectors/msteams/client';
import { teamsReferences } from '../../shared/connectors/msteams/references';
import { makeEgressFetch } from '../../shared/egress';
import {
  answerProblems,
  CONNECTOR_SWAGGER,
  connectorOperation,
  requestProblems,
} from '../fakes/msteams/connector-spec';
import type { FakeTeams } from '../fakes/msteams/fake-teams';
import {
  startFakeTeams,
  TEAMS_BOT_ID,
  TEAMS_GUEST,
  TEAMS_PERSON,
  TEAMS_TENANT,
} from '../fakes/msteams/fake-teams';
import { teamsDeps } from '../unit/shared/connectors/msteams/harness';

/**
 * The hub's Teams client against the loopback Teams fake, every connector call it makes (and every
 * answer of the fake) checked against the Bot Connector's own Swagger description
 * (fixtures/bot-connector-v3.json: microsoft/botframework-sdk, its commit noted there).
 */
let fake: FakeTeams;
const orgId = 'org_01JTEAMSCONTRACT';
const bot: ChatConnection = { orgId, connectionId: 'con_01JTEAMSBOT', installationId: TEAMS_TENANT };
const channel = '19:general@thread.tacv2';
const card: ChatCard = {
  title: 'WEB-12 moved to In Review',
  titleUrl: 'https://acme.atlassian.net/browse/WEB-12',
  fields: [{ label: 'Status', value: 'In Review' }],
  actions: [{ kind: 'button', id: 'approval:apr_1:approve', label: 'Approve' }],
  fallback: 'WEB-12 moved to In Review',
};

async function setUp(settings = fake.settings, fetch?: typeof globalThis.fetch) {
  const h = teamsDeps(settings, fetch);
  await h.connection(orgId, bot.connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  // The bot speaks only in a tenant bound to the connection.
  await h.deps.installations.bind('msteams', TEAMS_TENANT, orgId, bot.connectionId);
  await teamsReferences(h.deps.conversations as never).remember(
    orgId,
    {
      conversationId: channel,
      serviceUrl: fake.serviceUrl,
      tenantId: TEAMS_TENANT,
      botId: TEAMS_BOT_ID,
      conversationType: 'channel',
    },
    new Date(),
  );
  return { h, client: makeTeamsClient(h.deps, teamsBotRuntime(h.deps)) };
}

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel, { members: [TEAMS_PERSON, TEAMS_GUEST] });
});
afterAll(async () => fake.stop());

afterEach(() => {
  // Whatever a test did, every connector call and answer fits the Connector's description.
  for (const call of fake.calls.filter((c) => c.path.startsWith('/amer/'))) {
    const path = call.path.slice('/amer'.length);
    const op = connectorOperation(call.method, path);
    expect({ call: `${call.method} ${path}`, documented: op !== null }).toEqual({
      call: `${call.method} ${path}`,
      documented: true,
    });
    if (!op) continue;
    if (call.method !== 'GET')
      expect({ op: op.operationId, problems: requestProblems(op, call.body) }).toEqual({
        op: op.operationId,
        problems: [],
      });
    if (call.status !== 401)
      expect({ op: op.operationId, problems: answerProblems(op, call.status, call.answer) }).toEqual({
        op: op.operationId,
        problems: [],
      });
  }
  fake.calls.length = 0;
});

describe('the Bot Connector description the fake is checked against', () => {
  it('is the Connector v3.1 Swagger with the operations the hub uses', () => {
    expect(CONNECTOR_SWAGGER.source.repository).toBe('microsoft/botframework-sdk');
    const ops = Object.values(CONNECTOR_SWAGGER.paths)
      .flatMap((m) => Object.values(m).map((o) => o.operationId))
      .filter(Boolean);
    expect(ops).toEqual(
      expect.arrayContaining([
        'Conversations_CreateConversation',
        'Conversations_SendToConversation',
        'Conversations_UpdateActivity',
        'Conversations_ReplyToActivity',
        'Conversations_GetConversationMember',
      ]),
    );
    // And it tells a malformed activity from a good one.
    const send = connectorOperation('POST', '/v3/conversations/x/activities');
    if (!send) throw new Error('no SendToConversation');
    expect(requestProblems(send, { type: 'message', attachments: 'not a list' })).not.toEqual([]);
    expect(answerProblems(send, 201, { id: 7 })).not.toEqual([]);
  });
});

describe('proactive cards in Teams', () => {
  it('posts an Adaptive Card to a stored conversation, then updates it in place', async () => {
    const { client } = await setUp();
    const posted = await client.post(bot, channel, card);
    expect(posted).toMatchObject({ ok: true, statusCode: 201, ref: { conversation: channel } });
    if (!posted.ok) throw new Error('not posted');
    const sent = fake.conversations.get(channel)?.activities.get(posted.ref.messageId);
    expect(sent?.attachments?.[0]).toMatchObject({
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: { type: 'AdaptiveCard', version: '1.5' },
    });

    const updated = await client.post(
      bot,
      channel,
      { ...card, title: 'WEB-12 merged' },
      { update: posted.ref },
    );
    expect(updated).toEqual({ ok: true, statusCode: 200, ref: posted.ref });
    expect(
      fake.conversations.get(channel)?.activities.get(posted.ref.messageId)?.attachments[0].content.body[0]
        .text,
    ).toContain('WEB-12 merged');
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toContain(
      `PUT /amer/v3/conversations/${encodeURIComponent(channel)}/activities/${posted.ref.messageId}`,
    );
  });

  it('replies in the thread of an earlier card', async () => {
    const { client } = await setUp();
    const root = await client.post(bot, channel, card);
    if (!root.ok) throw new Error('not posted');
    const reply = await client.post(bot, channel, card, { threadOf: root.ref });
    expect(reply).toMatchObject({ ok: true, ref: { conversation: channel, threadId: root.ref.messageId } });
    if (reply.ok)
      expect(fake.conversations.get(channel)?.activities.get(reply.ref.messageId)?.replyToId).toBe(
        root.ref.messageId,
      );
  });

  it('opens a 1:1 chat for user:<aadObjectId> and keeps its reference', async () => {
    const { client, h } = await setUp();
    const posted = await client.post(bot, `user:${TEAMS_PERSON.aadObjectId}`, card);
    expect(posted).toMatchObject({ ok: true, ref: { conversation: `a:1${TEAMS_PERSON.aadObjectId}` } });
    expect(fake.calls.find((c) => c.path === '/amer/v3/conversations')?.body).toMatchObject({
      isGroup: false,
      bot: { id: TEAMS_BOT_ID },
      members: [{ id: TEAMS_PERSON.aadObjectId }],
      tenantId: TEAMS_TENANT,
    });
    expect([...h.conversations.keys()]).toContain(`${orgId}|msteams|a:1${TEAMS_PERSON.aadObjectId}`);
    expect(await client.directConversation?.(bot, TEAMS_PERSON.aadObjectId)).toBe(
      `a:1${TEAMS_PERSON.aadObjectId}`,
    );
  });

  it('asks AAD for the bot token once and reuses it until it nears expiry', async () => {
    const { client } = await setUp();
    const before = fake.tokensIssued;
    await client.post(bot, channel, card);
    await client.post(bot, channel, card);
    await client.post(bot, channel, card);
    expect(fake.tokensIssued - before).toBe(1);
    expect(fake.calls.find((c) => c.path.endsWith('/oauth2/v2.0/token'))?.status).toBe(200);
  });

  it('passes Teams’ 429 and Retry-After on as a wait', async () => {
    const { client } = await setUp();
    fake.rateLimitNext(1, 7);
    expect(await client.post(bot, channel, card)).toEqual({
      ok: false,
      statusCode: 429,
      error: 'ratelimited',
      retryAfterSeconds: 7,
    });
    expect(await client.post(bot, channel, card)).toMatchObject({ ok: true });
  });

  it('calls a conversation Teams does not know rejected, and renews a token Teams refused once', async () => {
    const { client, h } = await setUp();
    await teamsReferences(h.deps.conversations as never).remember(
      orgId,
      {
        conversationId: '19:deleted@thread.tacv2',
        serviceUrl: fake.serviceUrl,
        tenantId: TEAMS_TENANT,
        botId: TEAMS_BOT_ID,
      },
      new Date(),
    );
    expect(await client.post(bot, '19:deleted@thread.tacv2', card)).toMatchObject({
      ok: false,
      statusCode: 404,
      permanent: 'rejected',
    });
    fake.revokeTokens();
    // The cached token is refused: a fresh one is fetched once and works.
    expect(await client.post(bot, channel, card)).toMatchObject({ ok: true });
  });

  it('never posts to a conversation the org did not store, or one of another tenant', async () => {
    const { client, h } = await setUp();
    await teamsReferences(h.deps.conversations as never).remember(
      orgId,
      {
        conversationId: '19:theirs@thread.tacv2',
        serviceUrl: fake.serviceUrl,
        tenantId: TEAMS_GUEST.tenantId,
        botId: TEAMS_BOT_ID,
      },
      new Date(),
    );
    expect(await client.post(bot, '19:unknown@thread.tacv2', card)).toMatchObject({
      ok: false,
      permanent: 'rejected',
    });
    expect(await client.post(bot, '19:theirs@thread.tacv2', card)).toMatchObject({
      ok: false,
      permanent: 'rejected',
    });
    expect(fake.calls.filter((c) => c.path.startsWith('/amer/'))).toEqual([]);
  });

  it('sends the bot token only to service URLs on the allow-list', async () => {
    const { client, h } = await setUp({
      ...fake.settings,
      serviceUrlOrigins: 'https://smba.trafficmanager.net',
    });
    const before = fake.tokensIssued;
    expect(await client.post(bot, channel, card)).toEqual({
      ok: false,
      error: 'service URL not allowed',
      permanent: 'rejected',
    });
    const answer = await client.respond(
      bot,
      {
        provider: 'msteams',
        data: {
          serviceUrl: fake.serviceUrl,
          conversationId: channel,
          tenantId: TEAMS_TENANT,
          activityId: 'f:1',
        },
      },
      card,
    );
    expect(answer).toMatchObject({ ok: false, permanent: 'rejected' });
    expect(fake.tokensIssued).toBe(before);
    expect(fake.calls).toEqual([]);
    expect(h.audit).toEqual([]);
  });

  it('goes through the egress guard: a loopback fake is unreachable where loopback is not allowed', async () => {
    const guarded = makeEgressFetch({ policy: { allowLoopback: false, allowedRanges: [] } });
    const { client } = await setUp(fake.settings, guarded);
    expect(await client.post(bot, channel, card)).toMatchObject({
      ok: false,
      error: 'refused by the egress guard',
      permanent: 'rejected',
    });
    expect(fake.calls).toEqual([]);
  });
});

describe('a bot whose credentials AAD refuses', () => {
  it('is gone: the connection needs attention, nothing reaches the connector', async () => {
    const { client } = await setUp({ ...fake.settings, clientSecret: 'rotated-away' });
    expect(await client.post(bot, channel, card)).toEqual({
      ok: false,
      error: 'the bot credentials were refused',
      permanent: 'gone',
    });
    expect(fake.calls.filter((c) => c.path.startsWith('/amer/'))).toEqual([]);
  });
});

describe('who a Teams user is', () => {
  it('never gives a member’s address as verified (a tenant admin sets it freely): Teams users link', async () => {
    const { client } = await setUp();
    expect(await client.lookupUser(bot, TEAMS_PERSON.aadObjectId)).toEqual({
      platformUserId: TEAMS_PERSON.aadObjectId,
      name: TEAMS_PERSON.name,
    });
    expect(await client.lookupUser(bot, TEAMS_GUEST.aadObjectId)).toEqual({
      platformUserId: TEAMS_GUEST.aadObjectId,
      name: TEAMS_GUEST.name,
    });
    expect(await client.lookupUser(bot, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});

describe('a Teams Workflows webhook connection', () => {
  it('posts the card as a message attachment, and can only post anew', async () => {
    const h = teamsDeps(fake.settings);
    const workflow: ChatConnection = { orgId, connectionId: 'con_01JTEAMSFLOW' };
    await h.connection(orgId, workflow.connectionId, {
      kind: 'teams_workflow_webhook',
      url: fake.workflowUrl('wf1'),
    });
    const client = makeTeamsClient(h.deps, teamsBotRuntime(h.deps));
    const posted = await client.post(workflow, 'workflow', card);
    expect(posted).toMatchObject({ ok: true, statusCode: 202 });
    expect(fake.workflowPosts.at(-1)).toEqual({
      id: 'wf1',
      body: {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: expect.objectContaining({ type: 'AdaptiveCard' }),
          },
        ],
      },
    });
    if (posted.ok) await client.post(workflow, 'workflow', card, { update: posted.ref });
    expect(fake.workflowPosts).toHaveLength(2);
    expect(fake.tokensIssued).toBeGreaterThanOrEqual(0);
  });

  it('never calls a stored URL that is not on a Workflows host: the connection needs attention', async () => {
    const h = teamsDeps(fake.settings);
    const stray: ChatConnection = { orgId, connectionId: 'con_01JTEAMSSTRAY' };
    await h.connection(orgId, stray.connectionId, {
      kind: 'teams_workflow_webhook',
      url: 'https://attacker.example/workflows/wf1',
    });
    const before = fake.workflowPosts.length;
    const client = makeTeamsClient(h.deps, teamsBotRuntime(h.deps));
    expect(await client.post(stray, 'workflow', card)).toMatchObject({ ok: false, permanent: 'gone' });
    expect(fake.workflowPosts).toHaveLength(before);
  });
});
