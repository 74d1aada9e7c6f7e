import type { ChatConnection } from '../../shared/chat/model';
import type { Connection } from '../../shared/connectors/connection';
import { credentialsContext, credentialsServer } from '../../shared/connectors/manage-connections';
import { makeSlackChatClient } from '../../shared/connectors/slack/client';
import { exchangeSlackCode, makeSlackTokenSource } from '../../shared/connectors/slack/oauth';
import { SlackAppSettingsSchema } from '../../shared/connectors/slack/settings';
import type { ConnectionStore, LockStore } from '../../shared/ports/stores';
import { chatDeps, contextCipher } from '../fakes/slack/chat-deps';
import type { FakeSlack } from '../fakes/slack/fake-slack';
import {
  FAKE_SLACK_CHANNEL,
  SLACK_HUMAN,
  SLACK_UNCONFIRMED,
  startFakeSlack,
} from '../fakes/slack/fake-slack';
import { requestProblems, responseProblems, SLACK_OPENAPI } from '../fakes/slack/openapi';

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => fake.stop());

const orgId = 'org_01JSLACKCONTRACT';
const connectionId = 'con_01JSLACKCONTRACT';

/** Plays an install and a day of the hub's calls against the fake: every call the hub makes, through its own code. */
async function session() {
  const app = SlackAppSettingsSchema.parse(fake.appSettings);
  const authorize = new URL(app.authorizeUrl);
  authorize.search = new URLSearchParams({
    client_id: app.clientId,
    scope: app.scopes,
    state: 's',
    redirect_uri: 'http://127.0.0.1:3000/slack/oauth/callback',
  }).toString();
  const code =
    new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location') ?? '').searchParams.get(
      'code',
    ) ?? '';
  const { credentials } = await exchangeSlackCode(
    fetch,
    app,
    code,
    'http://127.0.0.1:3000/slack/oauth/callback',
    new Date(),
  );
  const connection: Connection = {
    id: connectionId,
    orgId,
    provider: 'slack',
    name: 'Slack',
    status: 'active',
    config: { baseUrl: app.apiUrl },
    lastError: null,
    webhookUrl: '/slack/events',
    credentials: null,
    previousSecretExpiresAt: null,
    createdAt: new Date().toISOString(),
  };
  // An hour before the end of the token's twelve hours, so the first call refreshes it.
  let stored = await contextCipher.encrypt(
    JSON.stringify({ ...credentials, expiresAt: Date.now() + 30_000 }),
    credentialsContext(orgId, connectionId, credentialsServer(connection)),
  );
  const connections = {
    get: async () => connection,
    withCredentials: async () => ({ connection, encryptedCredentials: stored }),
    replaceEncryptedCredentials: async (_o: string, _c: string, next: string) => {
      stored = next;
    },
  } as unknown as ConnectionStore;
  const locks: LockStore = { acquire: async () => true, release: async () => {} };
  const deps = chatDeps({ appSettings: fake.appSettings, connections });
  const accessTokens = makeSlackTokenSource({
    connections,
    cipher: contextCipher,
    locks,
    audit: deps.audit,
    clock: deps.clock,
    appSecret: async () => fake.appSettings,
  });
  const client = makeSlackChatClient({ ...deps, accessTokens });
  const chat: ChatConnection = { orgId, connectionId };
  const card = {
    title: 'WEB-12 moved to In Review',
    titleUrl: 'https://jira.example.test/browse/WEB-12',
    text: 'by **Ada**',
    fields: [{ label: 'Status', value: 'In Review' }],
    actions: [{ kind: 'button' as const, id: 'bot:status WEB-12', label: 'Status' }],
    fallback: 'WEB-12 moved to In Review',
  };
  const posted = await client.post(chat, FAKE_SLACK_CHANNEL, card);
  if (!posted.ok) throw new Error(posted.error);
  await client.post(chat, FAKE_SLACK_CHANNEL, { ...card, title: 'merged' }, { update: posted.ref });
  await client.post(chat, FAKE_SLACK_CHANNEL, card, { threadOf: posted.ref });
  await client.post(chat, 'C0NOSUCHCHAN', card);
  await client.post(chat, FAKE_SLACK_CHANNEL, card, {
    update: { conversation: FAKE_SLACK_CHANNEL, messageId: '1000000000.000001' },
  });
  await client.lookupUser(chat, SLACK_HUMAN.id);
  await client.lookupUser(chat, SLACK_UNCONFIRMED.id);
  await client.lookupUser(chat, 'U0NOBODY01');
  await client.userByEmail?.(chat, SLACK_HUMAN.email);
  await client.userByEmail?.(chat, 'nobody@example.test');
  await client.directConversation?.(chat, SLACK_HUMAN.id);
  // What the fake answers besides (the probe a person may run, a bad token).
  await fetch(`${app.apiUrl}/auth.test`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credentials.accessToken}` },
  });
  await fetch(`${app.apiUrl}/auth.test`, {
    method: 'POST',
    headers: { authorization: 'Bearer xoxb-not-a-token' },
  });
}

describe("the Slack fake and the hub's Slack client, against Slack's OpenAPI description of the Web API", () => {
  it(`sends documented parameters and answers in the documented shapes (${SLACK_OPENAPI.source.repository}@${SLACK_OPENAPI.source.commit.slice(0, 7)})`, async () => {
    await session();
    const methods = new Set(fake.calls.map((c) => c.method));
    expect([...methods].sort()).toEqual([
      'auth.test',
      'chat.postMessage',
      'chat.update',
      'conversations.open',
      'oauth.v2.access',
      'users.info',
      'users.lookupByEmail',
    ]);
    // Both grants were exercised: the install's code and the rotation's refresh token.
    expect(
      fake.calls
        .filter((c) => c.method === 'oauth.v2.access')
        .map((c) => c.params.grant_type ?? 'authorization_code'),
    ).toEqual(['authorization_code', 'refresh_token']);
    const problems = fake.calls.flatMap((call) => {
      const request =
        call.method === 'auth.test'
          ? null
          : requestProblems(call.method, call.params, call.authorization === 'bearer');
      const response = responseProblems(call.method, call.body);
      return [
        request && `${call.method} request: ${request}`,
        response && `${call.method} ${JSON.stringify(call.body).slice(0, 80)}: ${response}`,
      ].filter(Boolean);
    });
    expect(problems).toEqual([]);
    // The errors were answered too, not only successes.
    expect(fake.calls.filter((c) => c.body.ok === false).map((c) => c.body.error)).toEqual(
      expect.arrayContaining([
        'channel_not_found',
        'message_not_found',
        'user_not_found',
        'users_not_found',
        'invalid_auth',
      ]),
    );
  });

  it('catches what does not fit: the checks are not vacuous', () => {
    expect(
      responseProblems('chat.postMessage', { ok: true, channel: 'C0GENERAL01', ts: '1' }),
    ).not.toBeNull();
    expect(
      responseProblems('users.info', { ok: true, user: { id: 'U0HUMAN001', name: 'ada', is_bot: false } }),
    ).not.toBeNull();
    expect(responseProblems('chat.postMessage', { ok: false, error: 'no_such_error' })).not.toBeNull();
    expect(requestProblems('chat.postMessage', { channel: 'C0GENERAL01', colour: 'red' }, true)).toMatch(
      /colour/,
    );
    expect(requestProblems('chat.update', { channel: 'C0GENERAL01' }, true)).toMatch(/ts is required/);
    expect(requestProblems('chat.postMessage', { channel: 'C0GENERAL01' }, false)).toMatch(
      /token is required/,
    );
  });
});
