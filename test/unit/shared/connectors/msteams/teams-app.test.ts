import type { ChatWork } from '../../../../../shared/chat/model';
import { makeTeamsApp } from '../../../../../shared/connectors/msteams/app';
import { makeTeamsClient, teamsBotRuntime } from '../../../../../shared/connectors/msteams/client';
import type { FakeTeams } from '../../../../fakes/msteams/fake-teams';
import {
  startFakeTeams,
  TEAMS_BOT_ID,
  TEAMS_PERSON,
  TEAMS_TENANT,
} from '../../../../fakes/msteams/fake-teams';
import type { TestOidcIdp } from '../../../../support/oidc-idp';
import {
  confirmationLinkIn,
  confirmInBrowser,
  eventsRequest,
  ROLES,
  startEntra,
  teamsDeps,
  workOf,
} from './harness';

let fake: FakeTeams;
let entra: TestOidcIdp;
/** A Teams Administrator of the tenant, as Entra signs them in. */
const TENANT_ADMIN = {
  sub: 'entra-admin',
  email: 'admin@contoso.test',
  tid: TEAMS_TENANT,
  oid: '00000000-0000-4000-8000-00000000ad01',
  wids: [ROLES.teamsAdministrator],
};
const channel = { id: '19:general@thread.tacv2' };
const orgId = 'org_01JTEAMSAPP';
const connectionId = 'con_01JTEAMSAPPBOT';

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel.id);
  entra = await startEntra(fake.settings);
});
afterAll(async () => Promise.all([fake.stop(), entra.stop()]));

async function hub(options: { bound?: boolean } = {}) {
  const h = teamsDeps({ ...fake.settings, entraAuthority: entra.issuer });
  await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  if (options.bound) await h.deps.installations.bind('msteams', TEAMS_TENANT, orgId, connectionId);
  const app = makeTeamsApp(h.deps, teamsBotRuntime(h.deps));
  const send = async (activity: Record<string, unknown>) =>
    app.handle(eventsRequest(await fake.signed(activity)));
  /** `connect <code>` in the channel, then a Microsoft admin of the tenant confirms with the link the bot gave. */
  const connect = async (code: string) => {
    const pending = await send(fake.activities.message(channel, `connect ${code}`));
    const link = confirmationLinkIn(
      [...(fake.conversations.get(channel.id)?.activities.values() ?? [])].at(-1),
    );
    if (!link) return { pending, confirmed: null };
    return { pending, confirmed: await confirmInBrowser(app, entra, link, TENANT_ADMIN) };
  };
  return { h, app, send, connect };
}
/** What the bot said in the conversation (its replies through the connector). */
const saidIn = (conversationId: string) =>
  [...(fake.conversations.get(conversationId)?.activities.values() ?? [])].map(
    (a) => a.attachments?.[0]?.content?.body?.[0]?.text as string,
  );

describe('the bot added in a tenant no org has claimed', () => {
  it('answers a polite card in the conversation and stores, binds and queues nothing', async () => {
    const { h, send } = await hub();
    const reply = await send(fake.activities.installationUpdate(channel));
    expect(reply.status).toBe(200);
    expect(workOf(reply)).toEqual([]);
    expect(h.conversations.size).toBe(0);
    expect(h.bindings.size).toBe(0);
    expect(saidIn(channel.id).at(-1)).toMatch(/not connected to an Integration Hub organisation/);
  });

  it('is bound by `connect <code>` with a bind code made for this tenant once a tenant admin confirms, the code kept nowhere', async () => {
    const { h, connect } = await hub();
    const code = h.bindCode(orgId, connectionId, TEAMS_TENANT);
    const { pending, confirmed } = await connect(code);
    expect(workOf(pending)).toEqual([]);
    expect(confirmed?.status).toBe(200);
    const reply = confirmed ?? {};
    expect(h.bindings.get(`msteams|${TEAMS_TENANT}`)).toEqual({ orgId, connectionId });
    expect(workOf(reply)).toEqual([
      expect.objectContaining({
        orgId,
        connectionId,
        request: { kind: 'installed', conversationName: 'General' },
      }),
    ]);
    expect(await h.deps.conversations?.recall(orgId, 'msteams', channel.id)).toMatchObject({
      installationId: TEAMS_TENANT,
      data: { serviceUrl: fake.serviceUrl, botId: TEAMS_BOT_ID },
    });
    expect(h.audit).toEqual([
      expect.objectContaining({ action: 'chat.installation_pending', orgId }),
      expect.objectContaining({
        action: 'chat.installation_bound',
        orgId,
        after: {
          provider: 'msteams',
          installationId: TEAMS_TENANT,
          via: 'bind_code+entra_admin',
          requestedBy: TEAMS_PERSON.aadObjectId,
          confirmedBy: TENANT_ADMIN.oid,
          adminRole: ROLES.teamsAdministrator,
        },
      }),
    ]);
    expect(saidIn(channel.id).at(-1)).toMatch(/now connected/);
    // Neither the queued work nor the audit trail holds the code.
    expect(JSON.stringify(workOf(reply))).not.toContain(code);
    expect(JSON.stringify(h.audit)).not.toContain(code);
  });

  it('refuses the old `connect <connectionId>`: knowing a connection id binds nothing', async () => {
    const { h, send } = await hub();
    const reply = await send(fake.activities.message(channel, `connect ${connectionId}`));
    expect(workOf(reply)).toEqual([]);
    expect(h.bindings.size).toBe(0);
    expect(h.audit).toEqual([]);
    expect(saidIn(channel.id).at(-1)).toMatch(/That bind code cannot connect this tenant/);
  });

  it('refuses a code used already, expired, unknown or made for another tenant', async () => {
    const { h, send, connect } = await hub();
    const other = 'b5e2c1d0-0000-4000-8000-0000000000ff';
    await h.connection('org_01JOTHER', 'con_01JOTHERTENANT', { kind: 'teams_bot', tenantId: other });
    const refused = [
      h.bindCode('org_01JOTHER', 'con_01JOTHERTENANT', other),
      h.bindCode(orgId, connectionId, TEAMS_TENANT, -1),
      `hubbind_${'A'.repeat(27)}`,
    ];
    for (const code of refused) {
      const reply = await send(fake.activities.message(channel, `connect ${code}`));
      expect(workOf(reply)).toEqual([]);
      expect(saidIn(channel.id).at(-1)).toMatch(/That bind code cannot connect this tenant/);
    }
    expect(h.bindings.size).toBe(0);

    // A code is single use: the second `connect` with it, after an unbind, binds nothing.
    const code = h.bindCode(orgId, connectionId, TEAMS_TENANT);
    await connect(code);
    expect(h.bindings.size).toBe(1);
    await h.deps.installations.unbind('msteams', TEAMS_TENANT);
    await send(fake.activities.message(channel, `connect ${code}`));
    expect(h.bindings.size).toBe(0);
  });

  it('refuses a code whose connection no longer names the tenant, and cannot be stolen by a second org', async () => {
    const { h, send, connect } = await hub();
    const stale = h.bindCode(orgId, connectionId, TEAMS_TENANT);
    await h.connection(orgId, connectionId, {
      kind: 'teams_bot',
      tenantId: 'b5e2c1d0-0000-4000-8000-0000000000ff',
    });
    await send(fake.activities.message(channel, `connect ${stale}`));
    expect(h.bindings.size).toBe(0);

    await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
    await connect(h.bindCode(orgId, connectionId, TEAMS_TENANT));
    await h.connection('org_01JTHIEF', 'con_01JTHIEF', { kind: 'teams_bot', tenantId: TEAMS_TENANT });
    const thief = h.bindCode('org_01JTHIEF', 'con_01JTHIEF', TEAMS_TENANT);
    const stolen = await send(fake.activities.message(channel, `connect ${thief}`));
    expect(workOf(stolen)).toEqual([]);
    expect(h.bindings.get(`msteams|${TEAMS_TENANT}`)).toEqual({ orgId, connectionId });
  });

  it('is bound again by a new code once the connection it was bound to is deleted, its old references gone', async () => {
    const { h, send, connect } = await hub();
    await connect(h.bindCode(orgId, connectionId, TEAMS_TENANT));
    expect(await h.deps.conversations?.recall(orgId, 'msteams', channel.id)).not.toBeNull();
    // While the connection is there, another code (even of the same org) changes nothing.
    await h.connection(orgId, 'con_01JTEAMSAPPNEW', { kind: 'teams_bot', tenantId: TEAMS_TENANT });
    const early = h.bindCode(orgId, 'con_01JTEAMSAPPNEW', TEAMS_TENANT);
    await send(fake.activities.message(channel, `connect ${early}`));
    expect(h.bindings.get(`msteams|${TEAMS_TENANT}`)).toEqual({ orgId, connectionId });
    expect(saidIn(channel.id).at(-1)).toMatch(/already connected/);
    // The old connection deleted: a code for another org's connection naming the tenant binds it.
    h.removeConnection(connectionId);
    h.removeConnection('con_01JTEAMSAPPNEW');
    await h.connection('org_01JNEWORG', 'con_01JNEWORGBOT', { kind: 'teams_bot', tenantId: TEAMS_TENANT });
    const fresh = h.bindCode('org_01JNEWORG', 'con_01JNEWORGBOT', TEAMS_TENANT);
    await connect(fresh);
    expect(h.bindings.get(`msteams|${TEAMS_TENANT}`)).toEqual({
      orgId: 'org_01JNEWORG',
      connectionId: 'con_01JNEWORGBOT',
    });
    expect(await h.deps.conversations?.recall(orgId, 'msteams', channel.id)).toBeNull();
    expect(await h.deps.conversations?.recall('org_01JNEWORG', 'msteams', channel.id)).not.toBeNull();
  });

  it('answers a card action or a message extension politely, queueing nothing', async () => {
    const { send } = await hub();
    const clicked = await send(fake.activities.execute(channel, 'approval:apr_1:approve', 'f:1'));
    expect(JSON.parse(clicked.body ?? '{}')).toEqual({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: expect.stringMatching(/not connected/),
    });
    expect(workOf(clicked)).toEqual([]);
    const searched = await send(fake.activities.composeQuery(channel, 'status WEB-12'));
    expect(workOf(searched)).toEqual([]);
  });
});

describe('the bot in a bound tenant', () => {
  it('stores the reference of a conversation it is added to, and says so to the worker', async () => {
    const { h, send } = await hub({ bound: true });
    const added = fake.activities.botAdded({ id: '19:design@thread.tacv2' });
    const reply = await send(added);
    expect(workOf(reply)).toEqual([
      expect.objectContaining({ id: added.id, request: { kind: 'installed', conversationName: 'General' } }),
    ]);
    expect(await h.deps.conversations?.recall(orgId, 'msteams', '19:design@thread.tacv2')).toMatchObject({
      installationId: TEAMS_TENANT,
    });
    const removed = await send(
      fake.activities.installationUpdate({ id: '19:design@thread.tacv2' }, 'remove'),
    );
    expect(workOf(removed)).toEqual([]);
    expect(await h.deps.conversations?.recall(orgId, 'msteams', '19:design@thread.tacv2')).toBeNull();
  });

  it('makes a message a command, the mention stripped, keyed by the activity id', async () => {
    const { send } = await hub({ bound: true });
    const message = fake.activities.message(channel, 'status WEB-12');
    const reply = await send(message);
    expect(reply.status).toBe(200);
    expect(workOf(reply)).toEqual<ChatWork[]>([
      {
        id: message.id,
        orgId,
        connectionId,
        provider: 'msteams',
        installationId: TEAMS_TENANT,
        actor: { platformUserId: TEAMS_PERSON.aadObjectId, name: TEAMS_PERSON.name },
        conversation: channel.id,
        receivedAt: expect.any(String),
        reply: {
          provider: 'msteams',
          data: {
            serviceUrl: fake.serviceUrl,
            conversationId: channel.id,
            tenantId: TEAMS_TENANT,
            activityId: message.id,
            botId: TEAMS_BOT_ID,
          },
        },
        request: { kind: 'command', text: 'status WEB-12' },
      },
    ]);
  });

  it('answers an Action.Execute click as Teams requires and queues the action with its card', async () => {
    const { send } = await hub({ bound: true });
    const click = fake.activities.execute(channel, 'approval:apr_1:approve', '1700000000001');
    const reply = await send(click);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body ?? '{}')).toEqual({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: expect.any(String),
    });
    expect(workOf(reply)).toEqual([
      expect.objectContaining({
        id: click.id,
        request: {
          kind: 'action',
          actionId: 'approval:apr_1:approve',
          message: { conversation: channel.id, messageId: '1700000000001' },
        },
      }),
    ]);
  });

  it('answers a click in the thread of the card clicked, through the reply channel', async () => {
    const { h, send } = await hub({ bound: true });
    await send(fake.activities.installationUpdate(channel));
    const client = makeTeamsClient(h.deps, teamsBotRuntime(h.deps));
    const connection = { orgId, connectionId, installationId: TEAMS_TENANT };
    const posted = await client.post(connection, channel.id, { title: 'Approve?', fallback: 'Approve?' });
    if (!posted.ok) throw new Error('not posted');
    const [work] = workOf(
      await send(fake.activities.execute(channel, 'approval:apr_1:approve', posted.ref.messageId)),
    );
    if (!work) throw new Error('no work');
    const answered = await client.respond(connection, work.reply, {
      title: 'Approved by Tia',
      fallback: 'Approved',
    });
    expect(answered).toMatchObject({
      ok: true,
      ref: { conversation: channel.id, threadId: posted.ref.messageId },
    });
    // A reply channel of another tenant is not answered through this connection.
    const foreign = {
      ...work.reply,
      data: { ...work.reply.data, tenantId: 'b5e2c1d0-0000-4000-8000-0000000000ff' },
    };
    expect(await client.respond(connection, foreign, { title: 'x', fallback: 'x' })).toMatchObject({
      ok: false,
      permanent: 'rejected',
    });
  });

  it('runs a message extension query as a command and answers at once', async () => {
    const { send } = await hub({ bound: true });
    const reply = await send(fake.activities.composeQuery(channel, 'status WEB-12'));
    expect(JSON.parse(reply.body ?? '{}')).toEqual({
      composeExtension: { type: 'message', text: expect.stringContaining('status WEB-12') },
    });
    expect(workOf(reply)).toEqual([
      expect.objectContaining({ request: { kind: 'command', text: 'status WEB-12' } }),
    ]);
  });

  it('refuses an activity from a service URL off the allow-list, even with a valid token for it', async () => {
    const { h, send } = await hub({ bound: true });
    const before = fake.tokensIssued;
    const foreign = {
      ...fake.activities.message(channel, 'status WEB-12'),
      serviceUrl: 'https://smba.evil.example/amer/',
    };
    const reply = await send(foreign);
    expect(reply.status).toBe(403);
    expect(workOf(reply)).toEqual([]);
    expect(h.looked).toEqual([]);
    expect(fake.tokensIssued).toBe(before);
  });

  it('runs a message extension’s submitted action as a command', async () => {
    const { send } = await hub({ bound: true });
    const submit = {
      ...fake.activities.composeQuery(channel, ''),
      name: 'composeExtension/submitAction',
      value: { commandId: 'hubCommand', commandContext: 'compose', data: { command: 'move WEB-12 Done' } },
    };
    const reply = await send(submit);
    expect(reply.status).toBe(200);
    expect(workOf(reply)).toEqual([
      expect.objectContaining({ id: submit.id, request: { kind: 'command', text: 'move WEB-12 Done' } }),
    ]);
  });

  it('refuses an oversized activity unread', async () => {
    const { app, h } = await hub({ bound: true });
    const reply = await app.handle(eventsRequest({ headers: {}, body: 'x'.repeat(300 * 1024) }));
    expect(reply.status).toBe(413);
    expect(h.looked).toEqual([]);
  });

  it('answers only POST on the messaging endpoint', async () => {
    const { app } = await hub({ bound: true });
    const reply = await app.handle({
      method: 'GET',
      inbound: 'events',
      headers: {},
      query: {},
      body: '',
      receivedAt: new Date(),
    });
    expect(reply.status).toBe(405);
  });
});
