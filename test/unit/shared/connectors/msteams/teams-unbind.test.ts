import type { ChatWork } from '../../../../../shared/chat/model';
import { makeRunChatWork } from '../../../../../shared/chat/run-chat-work';
import { makeTeamsApp } from '../../../../../shared/connectors/msteams/app';
import { makeTeamsClient, teamsBotRuntime } from '../../../../../shared/connectors/msteams/client';
import type { FakeTeams } from '../../../../fakes/msteams/fake-teams';
import { startFakeTeams, TEAMS_PERSON, TEAMS_TENANT } from '../../../../fakes/msteams/fake-teams';
import { eventsRequest, teamsDeps } from './harness';

let fake: FakeTeams;
const channel = { id: '19:unbind@thread.tacv2' };
const orgId = 'org_01JTEAMSUNBIND';
const connectionId = 'con_01JTEAMSUNBIND';
const connection = { orgId, connectionId, installationId: TEAMS_TENANT };
const card = { title: 'WEB-12 moved', fallback: 'WEB-12 moved' };

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel.id);
});
afterAll(async () => fake.stop());

/** A bound tenant whose bot was added to a channel and opened a 1:1 chat: references both ways. */
async function boundTenant() {
  const h = teamsDeps(fake.settings);
  await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  await h.deps.installations.bind('msteams', TEAMS_TENANT, orgId, connectionId);
  const runtime = teamsBotRuntime(h.deps);
  const app = makeTeamsApp(h.deps, runtime);
  const client = makeTeamsClient(h.deps, runtime);
  const [added] =
    (await app.handle(eventsRequest(await fake.signed(fake.activities.botAdded(channel))))).work ?? [];
  if (!added) throw new Error('the bot was not added');
  const dm = await client.directConversation?.(connection, TEAMS_PERSON.aadObjectId);
  expect(dm).toBeDefined();
  expect((await client.post(connection, channel.id, card)).ok).toBe(true);
  const saved: unknown[] = [];
  const run = makeRunChatWork({
    clients: () => client,
    // An uninstall is nobody's work: the member gate is never asked.
    authorizeMember: async () => {
      throw new Error('the member gate was asked for an uninstall');
    },
    connections: {
      get: h.deps.connections.get.bind(h.deps.connections),
      findWebhookRoute: h.deps.connections.findWebhookRoute.bind(h.deps.connections),
      // The connection is saved with its audit record (one transaction in the store).
      save: async (next, _previous, _route, record) => {
        saved.push(next);
        await h.deps.audit.append(record);
      },
    },
    installations: h.deps.installations,
    conversations: h.deps.conversations as NonNullable<typeof h.deps.conversations>,
    bot: { run: async () => card },
    approvals: null,
    audit: h.deps.audit,
    once: {
      once: async (_key, work) => {
        await work();
        return 'done';
      },
    },
    clock: { now: () => new Date() },
    publicUrl: 'http://127.0.0.1:3000',
  });
  const uninstalled: ChatWork = { ...added, id: `${added.id}-gone`, request: { kind: 'uninstalled' } };
  return { h, client, run, uninstalled, saved, dm: String(dm) };
}

const connectorCalls = () => fake.calls.filter((c) => c.path.startsWith('/amer/v3/')).length;

describe('unbinding a Teams tenant', () => {
  it('forgets its references both ways (the org’s conversations and the tenant’s record), so nothing more is posted there', async () => {
    const { h, client, run, uninstalled, dm } = await boundTenant();
    const refs = () => [...h.conversations.keys()].filter((k) => k.startsWith(`${orgId}|msteams|`));
    expect(refs().sort()).toEqual(
      [
        `${orgId}|msteams|${channel.id}`,
        `${orgId}|msteams|${dm}`,
        `${orgId}|msteams|tenant:${TEAMS_TENANT}`,
      ].sort(),
    );
    await run(uninstalled);
    expect(h.bindings.size).toBe(0);
    expect(refs()).toEqual([]);
    expect(h.audit).toEqual([
      expect.objectContaining({
        action: 'chat.uninstalled',
        after: expect.objectContaining({ installationId: TEAMS_TENANT, conversationsForgotten: 3 }),
      }),
    ]);
    const before = connectorCalls();
    expect(await client.post(connection, channel.id, card)).toMatchObject({
      ok: false,
      permanent: 'rejected',
    });
    expect(await client.post(connection, dm, card)).toMatchObject({ ok: false, permanent: 'rejected' });
    await expect(client.directConversation?.(connection, TEAMS_PERSON.aadObjectId)).rejects.toThrow();
    expect(connectorCalls()).toBe(before);
  });

  it('posts nothing to a tenant bound elsewhere, even with its references still stored', async () => {
    const { h, client } = await boundTenant();
    await h.deps.installations.unbind('msteams', TEAMS_TENANT);
    await h.deps.installations.bind('msteams', TEAMS_TENANT, 'org_01JNEWOWNER', 'con_01JNEWOWNER');
    const before = connectorCalls();
    expect(await client.post(connection, channel.id, card)).toMatchObject({
      ok: false,
      error: 'the tenant is not bound to this connection',
      permanent: 'rejected',
    });
    expect(await client.lookupUser(connection, TEAMS_PERSON.aadObjectId)).toBeNull();
    expect(connectorCalls()).toBe(before);
  });
});
