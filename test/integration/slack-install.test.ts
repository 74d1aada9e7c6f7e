import { DynamoDbAuditStore } from '../../shared/adapters/dynamodb/dynamodb-audit-store';
import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbInstallStates } from '../../shared/adapters/dynamodb/dynamodb-install-states';
import { DynamoDbLockStore } from '../../shared/adapters/dynamodb/dynamodb-lock-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import type { AppReply, AppRequest, ChatConnection, ChatInbound } from '../../shared/chat/model';
import {
  credentialsContext,
  credentialsServer,
  makeMarkNeedsAttention,
} from '../../shared/connectors/manage-connections';
import type { ChatDeps } from '../../shared/connectors/provider-module';
import type { SlackBotCredentials } from '../../shared/connectors/slack/credentials';
import { slackProvider } from '../../shared/connectors/slack/module';
import { makeSlackTokenSource } from '../../shared/connectors/slack/oauth';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { chatDeps, contextCipher, installationsDouble } from '../fakes/slack/chat-deps';
import type { FakeSlack } from '../fakes/slack/fake-slack';
import {
  FAKE_SLACK_CHANNEL,
  FAKE_SLACK_TEAM,
  SLACK_HUMAN,
  SLACK_UNCONFIRMED,
  startFakeSlack,
} from '../fakes/slack/fake-slack';
import { platformAdmin } from '../support/api-events';
import { Browser } from '../support/browser';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
let fake: FakeSlack;
const request: RequestContext = { requestId: 'r', ip: '127.0.0.1', userAgent: 'jest' };
let now = new Date();
const clock = { now: () => now };

beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(async () => {
  now = new Date();
  fake = await startFakeSlack();
});
afterEach(async () => fake.stop());

const HUB = 'http://127.0.0.1:3000';
let orgCount = 0;
async function world() {
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const connections = new DynamoDbConnectionStore(aws.docs, aws.tables);
  const audit = new DynamoDbAuditStore(aws.docs, aws.tables);
  const locks = new DynamoDbLockStore(aws.docs, aws.tables.domainTable);
  const installations = installationsDouble();
  const createOrg = makeCreateOrg({ orgs, clock });
  orgCount += 1;
  const a = await createOrg(
    { name: 'Acme', slug: `slack-a-${orgCount}-${Date.now()}` },
    platformAdmin,
    request,
  );
  const b = await createOrg(
    { name: 'Bolt', slug: `slack-b-${orgCount}-${Date.now()}` },
    platformAdmin,
    request,
  );
  const appSecret = async () => fake.appSettings;
  const tokens = () =>
    makeSlackTokenSource({
      connections,
      cipher: contextCipher,
      locks,
      audit,
      clock,
      appSecret: async () => fake.appSettings,
    });
  const deps: ChatDeps = {
    ...chatDeps({ appSettings: fake.appSettings }),
    clock,
    connections,
    installations,
    audit,
    orgs,
    installStates: new DynamoDbInstallStates(aws.docs, aws.tables.domainTable),
    appSecret,
    accessTokens: tokens(),
  };
  const app = slackProvider.chat?.app(deps);
  /**
   * A GET of the app endpoint: from a browser (its cookies for that URL sent, its Set-Cookies
   * kept), or with a `Cookie` header given as is, or with none.
   */
  const get = async (
    inbound: ChatInbound,
    query: Record<string, string>,
    from?: Browser | { cookie: string },
  ): Promise<AppReply> => {
    if (!app) throw new Error('no app');
    const url = `${HUB}/slack/${inbound}`;
    const cookie = from instanceof Browser ? from.cookieHeader(url) : from?.cookie;
    const reply = await app.handle({
      method: 'GET',
      inbound,
      headers: cookie ? { cookie } : {},
      query,
      body: '',
      receivedAt: now,
    } satisfies AppRequest);
    if (from instanceof Browser) from.take(url, reply.cookies ?? []);
    return reply;
  };

  /** The browser's trip: the hub's install URL, the hub's redirect, Slack's consent, back to the callback. */
  async function consent(orgId: string, userId: string, browser = new Browser()) {
    const url = new URL((await slackProvider.chat?.installUrl?.(deps, { orgId, userId })) ?? '');
    expect(url.pathname).toBe('/slack/install');
    const state = url.searchParams.get('state') ?? '';
    const started = await get('install', { state }, browser);
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers?.location ?? '');
    expect(authorize.origin + authorize.pathname).toBe(fake.appSettings.authorizeUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:3000/slack/oauth/callback');
    expect(authorize.searchParams.get('scope')).toContain('chat:write');
    const approved = await fetch(authorize, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location') ?? '');
    return {
      state,
      code: back.searchParams.get('code') ?? '',
      returnedState: back.searchParams.get('state') ?? '',
      browser,
      /** The Cookie header the browser sends to the callback (to replay it as an attacker could). */
      cookie: browser.cookieHeader(back),
      started,
    };
  }
  async function install(orgId: string, userId = 'usr_INSTALLER') {
    const { code, returnedState, browser, cookie } = await consent(orgId, userId);
    return {
      reply: await get('oauth/callback', { code, state: returnedState }, browser),
      code,
      state: returnedState,
      browser,
      cookie,
    };
  }
  const slackConnections = async (orgId: string) =>
    (await connections.list(orgId, { limit: 50 })).items.filter((c) => c.provider === 'slack');
  const storedCredentials = async (orgId: string, connectionId: string): Promise<SlackBotCredentials> => {
    const found = await connections.withCredentials(orgId, connectionId);
    if (!found?.encryptedCredentials) throw new Error('no credentials');
    return JSON.parse(
      await contextCipher.decrypt(
        found.encryptedCredentials,
        credentialsContext(orgId, connectionId, credentialsServer(found.connection)),
      ),
    );
  };
  return {
    a,
    b,
    deps,
    get,
    consent,
    install,
    slackConnections,
    storedCredentials,
    installations,
    audit,
    connections,
    tokens,
  };
}

describe('installing the Slack app (OAuth v2) against the fake', () => {
  it('binds the workspace to the org that started it, stores the bot token encrypted, and audits it as that user', async () => {
    const w = await world();
    const { reply } = await w.install(w.a.id, 'usr_ADA');
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('Slack is connected');
    expect(reply.body).not.toMatch(/xox/);
    const [connection] = await w.slackConnections(w.a.id);
    expect(connection).toMatchObject({
      provider: 'slack',
      status: 'active',
      config: { baseUrl: fake.appSettings.apiUrl },
    });
    expect(connection?.credentials).toMatchObject({
      kind: 'slack_bot',
      teamId: FAKE_SLACK_TEAM.id,
      botUserId: 'U0FAKEBOT01',
    });
    expect(JSON.stringify(connection)).not.toMatch(/xox/);
    expect(w.installations.bound.get(`slack:${FAKE_SLACK_TEAM.id}`)).toEqual({
      orgId: w.a.id,
      connectionId: connection?.id,
    });
    const stored = await w.storedCredentials(w.a.id, connection?.id ?? '');
    expect(stored.accessToken).toMatch(/^xoxe\.xoxb-/);
    expect(stored.refreshToken).toMatch(/^xoxe-1-/);
    expect(stored.expiresAt).toBeGreaterThan(now.getTime() + 11 * 3_600_000);
    const trail = await w.audit.list(w.a.id, {}, { limit: 20 });
    const actions = trail.items.map((r) => [r.action, r.actor.id]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['connection.created', 'usr_ADA'],
        ['connection.credentials_set', 'usr_ADA'],
      ]),
    );
    expect(JSON.stringify(trail.items)).not.toMatch(/xox/);
  });

  it('gives the browser that opens the install link a cookie for the callback only (HttpOnly, SameSite=Lax, as long as the state), cleared by the callback', async () => {
    const w = await world();
    const { started, browser, code, returnedState } = await w.consent(w.a.id, 'usr_ADA');
    expect(started.cookies).toHaveLength(1);
    const set = started.cookies?.[0] ?? '';
    expect(set).toMatch(/^hub-install-slack-[0-9a-f]{16}=[A-Za-z0-9_-]{43}; /);
    expect(set).toContain('; Path=/slack/oauth/callback');
    expect(set).toContain('; HttpOnly');
    expect(set).toContain('; SameSite=Lax');
    expect(set).toContain('; Max-Age=600');
    // A local run on plain-http loopback: not Secure, or no browser would send it back.
    expect(set).not.toContain('Secure');
    // The cookie carries a MAC of the state, not the state.
    expect(set).not.toContain(returnedState.split('.')[1]);
    expect(browser.cookieHeader(`${HUB}/slack/install`)).toBe('');
    expect(browser.cookieHeader(`${HUB}/slack/events`)).toBe('');
    expect(browser.cookieHeader(`${HUB}/slack/oauth/callback`)).toMatch(/^hub-install-slack-/);
    const reply = await w.get('oauth/callback', { code, state: returnedState }, browser);
    expect(reply.status).toBe(200);
    expect(reply.cookies?.[0]).toMatch(
      /^hub-install-slack-[0-9a-f]{16}=; Max-Age=0; .*Path=\/slack\/oauth\/callback/,
    );
    expect(browser.cookies()).toEqual([]);
  });

  it('marks the install cookie Secure when the hub is served over https, under its base path', async () => {
    const w = await world();
    const deps: ChatDeps = { ...w.deps, publicUrl: 'https://hub.example.test/base/' };
    const url = new URL(
      (await slackProvider.chat?.installUrl?.(deps, { orgId: w.a.id, userId: 'usr_ADA' })) ?? '',
    );
    const started = await slackProvider.chat?.app(deps).handle({
      method: 'GET',
      inbound: 'install',
      headers: {},
      query: { state: url.searchParams.get('state') ?? '' },
      body: '',
      receivedAt: now,
    });
    expect(started?.status).toBe(302);
    expect(started?.cookies?.[0]).toMatch(
      /; Max-Age=600; Path=\/base\/slack\/oauth\/callback; HttpOnly; SameSite=Lax; Secure$/,
    );
  });

  it("refuses a callback from a browser that did not open the install link (no cookie, another browser's, a forged one), using up and storing nothing", async () => {
    const w = await world();
    const mine = await w.consent(w.a.id, 'usr_ADA');
    // Someone else started their own install in their own browser: their cookie is not for this state.
    const theirs = await w.consent(w.b.id, 'usr_BOB');
    const trail = async () => [
      ...(await w.audit.list(w.a.id, {}, { limit: 50 })).items,
      ...(await w.audit.list(w.b.id, {}, { limit: 50 })).items,
    ];
    const before = (await trail()).length;
    const [name] = mine.cookie.split('=');
    const callback = { code: mine.code, state: mine.returnedState };
    for (const from of [
      undefined,
      theirs.browser,
      { cookie: theirs.cookie },
      { cookie: `${name}=${'A'.repeat(43)}` },
    ]) {
      const reply = await w.get('oauth/callback', callback, from);
      expect(reply.status).toBe(403);
      expect(reply.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(reply.body).toContain('This install was started in another browser');
      expect(reply.cookies?.[0]).toMatch(new RegExp(`^${name}=; Max-Age=0; `));
    }
    expect(fake.oauth.codeExchanges).toBe(0);
    expect(await w.slackConnections(w.a.id)).toEqual([]);
    expect(await w.slackConnections(w.b.id)).toEqual([]);
    expect(w.installations.bound.size).toBe(0);
    expect(await trail()).toHaveLength(before);
    // Their browser keeps its own install's cookie; the state was not used up, so the browser that
    // opened the link still finishes its install.
    expect(theirs.browser.cookies()).toHaveLength(1);
    expect((await w.get('oauth/callback', callback, mine.browser)).status).toBe(200);
    expect(w.installations.bound.get(`slack:${FAKE_SLACK_TEAM.id}`)?.orgId).toBe(w.a.id);
  });

  it('uses a state once: the same callback again is refused and no code is exchanged twice', async () => {
    const w = await world();
    const { code, state, browser, cookie } = await w.install(w.a.id);
    // The callback cleared the browser's cookie; replaying the old one finds the state used up.
    expect((await w.get('oauth/callback', { code, state }, browser)).status).toBe(403);
    const again = await w.get('oauth/callback', { code, state }, { cookie });
    expect(again.status).toBe(400);
    expect(fake.oauth.codeExchanges).toBe(1);
  });

  it('gives one state to one of two callbacks racing with it (the store takes it atomically)', async () => {
    const w = await world();
    const { code, returnedState, cookie } = await w.consent(w.a.id, 'usr_ADA');
    const replies = await Promise.all([
      w.get('oauth/callback', { code, state: returnedState }, { cookie }),
      w.get('oauth/callback', { code, state: returnedState }, { cookie }),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(fake.oauth.codeExchanges).toBe(1);
    expect(await w.slackConnections(w.a.id)).toHaveLength(1);
  });

  it('refuses a forged or tampered state at the install and at the callback, storing nothing', async () => {
    const w = await world();
    const { state, code, browser } = await w.consent(w.a.id, 'usr_ADA');
    const [body] = state.split('.');
    const tamperedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()), o: w.b.id }),
    ).toString('base64url');
    const tampered = `${tamperedBody}.${state.split('.')[1]}`;
    const elsewhere = new Browser();
    expect((await w.get('install', { state: tampered }, elsewhere)).status).toBe(400);
    expect(elsewhere.cookies()).toEqual([]);
    // No browser holds a cookie for a state the hub did not make.
    expect((await w.get('oauth/callback', { code, state: tampered }, browser)).status).toBe(403);
    expect((await w.get('oauth/callback', { code, state: 'made.up' }, browser)).status).toBe(403);
    expect(await w.slackConnections(w.b.id)).toEqual([]);
    expect(await w.slackConnections(w.a.id)).toEqual([]);
    expect(fake.oauth.codeExchanges).toBe(0);
    // The genuine state still works once.
    expect((await w.get('oauth/callback', { code, state }, browser)).status).toBe(200);
  });

  it('refuses an expired state', async () => {
    const w = await world();
    const { code, state, cookie } = await w.consent(w.a.id, 'usr_ADA');
    now = new Date(now.getTime() + 11 * 60_000);
    const reply = await w.get('oauth/callback', { code, state }, { cookie });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain('took too long');
    expect(await w.slackConnections(w.a.id)).toEqual([]);
  });

  it('refuses to bind a workspace already bound to another org: nothing stored for the second org, the first keeps it', async () => {
    const w = await world();
    await w.install(w.a.id);
    const { reply } = await w.install(w.b.id, 'usr_BOB');
    expect(reply.status).toBe(409);
    expect(await w.slackConnections(w.b.id)).toEqual([]);
    expect(w.installations.bound.get(`slack:${FAKE_SLACK_TEAM.id}`)?.orgId).toBe(w.a.id);
    const trail = await w.audit.list(w.b.id, {}, { limit: 20 });
    expect(trail.items.filter((r) => r.action !== 'org.created').map((r) => [r.action, r.outcome])).toEqual([
      ['chat.install_refused', 'denied'],
    ]);
  });

  it('installs again into the same connection (new tokens), and escapes what it shows', async () => {
    const w = await world();
    await w.install(w.a.id);
    const [first] = await w.slackConnections(w.a.id);
    const before = await w.storedCredentials(w.a.id, first?.id ?? '');
    // Slack had refused its token meanwhile: the connection needs attention until installed again.
    await makeMarkNeedsAttention({ connections: w.connections, clock })(
      w.a.id,
      first?.id ?? '',
      'token_revoked',
    );
    fake.installInto({ id: FAKE_SLACK_TEAM.id, name: '<script>alert(1)</script>' });
    const { reply } = await w.install(w.a.id);
    expect(reply.status).toBe(200);
    expect(reply.body).not.toContain('<script>');
    expect(reply.body).toContain('&lt;script&gt;');
    const after = await w.slackConnections(w.a.id);
    expect(after.map((c) => [c.id, c.status])).toEqual([[first?.id, 'active']]);
    expect((await w.storedCredentials(w.a.id, first?.id ?? '')).accessToken).not.toBe(before.accessToken);
  });
});

describe('the rotating bot token', () => {
  it('is refreshed once for concurrent callers in two environments, under the lock, and the rotated tokens stored', async () => {
    const w = await world();
    await w.install(w.a.id);
    const [connection] = await w.slackConnections(w.a.id);
    const id = connection?.id ?? '';
    const first = await w.storedCredentials(w.a.id, id);
    // Twelve hours on: the token is about to expire.
    now = new Date(first.expiresAt - 30_000);
    const [one, two] = [w.tokens(), w.tokens()];
    const got = await Promise.all([
      ...Array.from({ length: 4 }, () => one.token(w.a.id, id, fake.appSettings.apiUrl ?? '')),
      ...Array.from({ length: 4 }, () => two.token(w.a.id, id, fake.appSettings.apiUrl ?? '')),
    ]);
    expect(fake.oauth.refreshes).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(got[0]).not.toBe(first.accessToken);
    const stored = await w.storedCredentials(w.a.id, id);
    expect(stored.accessToken).toBe(got[0]);
    expect(stored.refreshToken).not.toBe(first.refreshToken);
    expect(fake.oauth.liveRefreshTokens.has(stored.refreshToken)).toBe(true);
  });
});

describe('the Slack chat client against the fake', () => {
  async function installed() {
    const w = await world();
    await w.install(w.a.id);
    const [connection] = await w.slackConnections(w.a.id);
    const chat: ChatConnection = {
      orgId: w.a.id,
      connectionId: connection?.id ?? '',
      installationId: FAKE_SLACK_TEAM.id,
    };
    const client = slackProvider.chat?.client(w.deps);
    if (!client) throw new Error('no client');
    return { w, chat, client };
  }
  const card = {
    title: 'WEB-12 moved to In Review',
    fallback: 'WEB-12 moved to In Review',
    text: 'by **Ada**',
  };

  it('posts a card, updates the same message in place, and replies in its thread', async () => {
    const { chat, client } = await installed();
    const posted = await client.post(chat, FAKE_SLACK_CHANNEL, card);
    if (!posted.ok) throw new Error(posted.error);
    expect(posted.ref).toEqual({
      conversation: FAKE_SLACK_CHANNEL,
      messageId: expect.stringMatching(/^\d{10}\.\d{6}$/),
    });
    const updated = await client.post(
      chat,
      FAKE_SLACK_CHANNEL,
      { ...card, title: 'WEB-12 merged', fallback: 'WEB-12 merged' },
      { update: posted.ref },
    );
    expect(updated).toMatchObject({ ok: true, ref: posted.ref });
    const reply = await client.post(
      chat,
      FAKE_SLACK_CHANNEL,
      { ...card, title: 'PR #7 approved' },
      { threadOf: posted.ref },
    );
    expect(reply).toMatchObject({ ok: true, ref: { threadId: posted.ref.messageId } });
    const messages = fake.channels.get(FAKE_SLACK_CHANNEL) ?? [];
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatchObject({ ts: posted.ref.messageId, edits: 1, text: 'WEB-12 merged' });
    expect(messages[1]).toMatchObject({ threadTs: posted.ref.messageId });
    // The bot token went as a bearer header, never as a parameter.
    expect(
      fake.calls.filter((c) => c.method.startsWith('chat.')).every((c) => c.authorization === 'bearer'),
    ).toBe(true);
  });

  it("gives Slack's Retry-After on a 429, and says which failures are permanent", async () => {
    const { chat, client } = await installed();
    fake.rateLimitNext('chat.postMessage', 7);
    expect(await client.post(chat, FAKE_SLACK_CHANNEL, card)).toEqual({
      ok: false,
      statusCode: 429,
      error: 'ratelimited',
      retryAfterSeconds: 7,
    });
    fake.setRateLimit('chat.postMessage', 1, 30);
    expect(await client.post(chat, FAKE_SLACK_CHANNEL, card)).toMatchObject({ ok: true });
    expect(await client.post(chat, FAKE_SLACK_CHANNEL, card)).toMatchObject({
      ok: false,
      retryAfterSeconds: 30,
    });
    fake.setRateLimit('chat.postMessage', null);
    expect(await client.post(chat, 'C0NOSUCHCHAN', card)).toMatchObject({
      ok: false,
      error: 'channel_not_found',
      permanent: 'rejected',
    });
    fake.revokeAll();
    expect(await client.post(chat, FAKE_SLACK_CHANNEL, card)).toMatchObject({
      ok: false,
      error: 'token_revoked',
      permanent: 'gone',
    });
  });

  it('gives a user’s email only when Slack says it is confirmed, finds users by email, and opens a DM', async () => {
    const { chat, client } = await installed();
    expect(await client.lookupUser(chat, SLACK_HUMAN.id)).toEqual({
      platformUserId: SLACK_HUMAN.id,
      name: SLACK_HUMAN.realName,
      verifiedEmail: SLACK_HUMAN.email,
    });
    expect(await client.lookupUser(chat, SLACK_UNCONFIRMED.id)).toEqual({
      platformUserId: SLACK_UNCONFIRMED.id,
      name: SLACK_UNCONFIRMED.realName,
    });
    expect(await client.lookupUser(chat, 'U0NOBODY01')).toBeNull();
    expect(await client.userByEmail?.(chat, SLACK_HUMAN.email)).toMatchObject({
      platformUserId: SLACK_HUMAN.id,
    });
    expect(await client.userByEmail?.(chat, SLACK_UNCONFIRMED.email)).toBeNull();
    const dm = await client.directConversation?.(chat, SLACK_HUMAN.id);
    expect(dm).toMatch(/^D/);
    expect(await client.post(chat, dm ?? '', card)).toMatchObject({ ok: true });
  });

  it("answers through a command's response_url, and never through a URL off Slack's hooks host", async () => {
    const { chat, client } = await installed();
    const command = fake.requests.slashCommand({
      text: 'status WEB-12',
      userId: SLACK_HUMAN.id,
      channelId: FAKE_SLACK_CHANNEL,
    });
    const sent = await client.respond(
      chat,
      { provider: 'slack', data: { response_url: command.responseUrl, channel: FAKE_SLACK_CHANNEL } },
      card,
    );
    expect(sent).toMatchObject({ ok: true });
    expect(fake.responses.get(command.responseUrl)).toEqual([
      expect.objectContaining({ response_type: 'ephemeral', text: card.fallback }),
    ]);
    const forged = await client.respond(
      chat,
      { provider: 'slack', data: { response_url: 'http://127.0.0.1:9/collect' } },
      card,
    );
    expect(forged).toMatchObject({ ok: false, permanent: 'rejected' });
  });
});
