import { makeTeamsClient, teamsBotRuntime } from '../../../../../shared/connectors/msteams/client';
import { teamsReferences } from '../../../../../shared/connectors/msteams/references';
import { newId } from '../../../../../shared/ids';
import { makeChatChannel } from '../../../../../shared/notify/chat/chat-channel';
import type { ChatTarget } from '../../../../../shared/notify/chat/chat-recipients';
import type { DeliveryMessage } from '../../../../../shared/notify/model';
import type { FakeTeams } from '../../../../fakes/msteams/fake-teams';
import {
  startFakeTeams,
  TEAMS_BOT_ID,
  TEAMS_GUEST,
  TEAMS_PERSON,
  TEAMS_TENANT,
} from '../../../../fakes/msteams/fake-teams';
import { aCanonicalEvent } from '../../../../support/builders';
import { teamsDeps } from './harness';

let fake: FakeTeams;
const orgId = 'org_01JTEAMSDIRECT';
const connectionId = 'con_01JTEAMSDIRECT';
const channel = '19:direct@thread.tacv2';
/** Hub users, each linked to a Teams user: a member of the tenant, a guest of another, and one Teams does not know. */
const tia = newId('usr');
const gus = newId('usr');
const nobody = newId('usr');
const links: Record<string, string> = {
  [tia]: TEAMS_PERSON.aadObjectId,
  [gus]: TEAMS_GUEST.aadObjectId,
  [nobody]: '6f1c2d3e-0000-4000-8000-00000000dead',
};

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel, { members: [TEAMS_PERSON] });
});
afterAll(async () => fake.stop());

/** The chat channel with the Teams client, in a bound tenant whose bot was added to a channel (or not yet). */
async function setUp(options: { installed?: boolean } = { installed: true }) {
  const h = teamsDeps(fake.settings);
  await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  await h.deps.installations.bind('msteams', TEAMS_TENANT, orgId, connectionId);
  if (options.installed)
    await teamsReferences(h.deps.conversations as never).remember(
      orgId,
      { conversationId: channel, serviceUrl: fake.serviceUrl, tenantId: TEAMS_TENANT, botId: TEAMS_BOT_ID },
      new Date(),
    );
  const marked: string[] = [];
  const client = makeTeamsClient(h.deps, teamsBotRuntime(h.deps));
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
    markNeedsAttention: async (_org, id) => void marked.push(id),
    clock: { now: () => new Date() },
  });
  const dm = (userId: string) => {
    const event = aCanonicalEvent({ tenantId: orgId });
    const message: DeliveryMessage & { target: ChatTarget } = {
      orgId,
      id: newId('msg'),
      eventId: event.id,
      eventType: event.type,
      target: { channel: 'chat', provider: 'msteams', connectionId, conversation: `user:${userId}` },
      status: 'pending',
      attempts: 0,
      createdAt: new Date().toISOString(),
    } as DeliveryMessage & { target: ChatTarget };
    return chat.send(message, event);
  };
  return { dm, marked, client };
}

const created = () => fake.calls.filter((c) => c.method === 'POST' && c.path === '/amer/v3/conversations');

describe('a notification to a hub user’s Teams direct messages', () => {
  it('opens the 1:1 chat and posts there', async () => {
    const { dm } = await setUp();
    expect(await dm(tia)).toMatchObject({ ok: true, responseExcerpt: expect.stringContaining('posted') });
    expect(fake.conversations.get(`a:1${TEAMS_PERSON.aadObjectId}`)?.activities.size).toBe(1);
  });

  it('fails the delivery at once, saying why, when Teams refuses the 1:1 chat', async () => {
    const { dm, marked, client } = await setUp();
    const before = created().length;
    // A guest of another tenant: Teams answers 403.
    expect(await dm(gus)).toEqual({
      ok: false,
      durationMs: 0,
      error:
        'could not open the DM: Teams refused a 1:1 chat with the user: the user is not a member of the bound tenant',
      permanent: 'rejected',
    });
    // A user Teams does not know: 400.
    expect(await dm(nobody)).toMatchObject({
      ok: false,
      error: 'could not open the DM: Teams refused a 1:1 chat with the user: Teams does not know the user',
      permanent: 'rejected',
    });
    expect(
      created()
        .slice(before)
        .map((c) => c.status),
    ).toEqual([403, 400]);
    // A refusal of one chat is no refusal of the bot: the connection is left as it is.
    expect(marked).toEqual([]);
    // The same when a 1:1 chat is named by the Teams user (`user:<aadObjectId>`).
    expect(
      await client.post({ orgId, connectionId }, `user:${TEAMS_GUEST.aadObjectId}`, {
        title: 'x',
        fallback: 'x',
      }),
    ).toMatchObject({ ok: false, statusCode: 403, permanent: 'rejected' });
  });

  it('retries after Teams’ wait when it rate-limits opening the chat', async () => {
    const { dm } = await setUp();
    fake.rateLimitNext(1, 7);
    const outcome = await dm(tia);
    expect(outcome).toMatchObject({ ok: false, retryAfterSeconds: 7 });
    expect(outcome.ok ? undefined : outcome.permanent).toBeUndefined();
  });

  it('fails the delivery, saying why, while the bot was never added in the tenant', async () => {
    const { dm } = await setUp({ installed: false });
    const before = created().length;
    expect(await dm(tia)).toMatchObject({
      ok: false,
      error: expect.stringContaining('bot not installed in the tenant'),
      permanent: 'rejected',
    });
    expect(created().length).toBe(before);
  });
});
