import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CHAT_LINK_TOKEN } from '../../shared/chat/link-token-format';
import { RULE_CACHE_MS } from '../../shared/notify/rules/rule-destinations';
import { JIRA_HUMAN } from '../fakes/jira';
import type { FakeTeams } from '../fakes/msteams/fake-teams';
import { startFakeTeams, TEAMS_GUEST, TEAMS_PERSON, TEAMS_TENANT } from '../fakes/msteams/fake-teams';
import type { FakeSlack } from '../fakes/slack/fake-slack';
import {
  FAKE_SLACK_CHANNEL,
  FAKE_SLACK_TEAM,
  SLACK_HUMAN,
  SLACK_UNCONFIRMED,
  startFakeSlack,
} from '../fakes/slack/fake-slack';
import { SlackRequests } from '../fakes/slack/requests';
import { Browser } from '../support/browser';
import type { TestOidcIdp } from '../support/oidc-idp';
import { startOidcIdp } from '../support/oidc-idp';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import type { SyncFakes } from '../support/sync-fakes';
import { connectSyncFakes, startSyncFakes } from '../support/sync-fakes';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Issue 13 end to end through the local runtime: the Slack and Teams fakes install the hub's chat
 * app, send their signed requests to its one app endpoint per provider, and take its Web API /
 * Bot Connector calls; Jira and GitHub fakes send the events a channel subscribes to.
 */
// biome-ignore lint/suspicious/noExplicitAny: the tests read the platforms' and the hub's JSON freely
type Json = Record<string, any>;

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Json[];
}[];
const REPO = 'acme/web';

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
let slack: FakeSlack;
let teams: FakeTeams;
let fakes: SyncFakes;
let receiver: WebhookReceiver;
/** Stands in for Microsoft Entra: the tenant admin who confirms a Teams binding signs in there. */
let entra: TestOidcIdp;
let orgId: string;
let slackConnection: Json;
let jiraConnection: string;
const users: Record<string, { id: string; jwt: string }> = {};
let agentKey: string;
let endpointId: string;
let ruleAt = 0;

const slackEvents = (request: { headers: Record<string, string>; body: string }) =>
  SlackRequests.send(`${hub.url}/slack/events`, request);
const read = async (path: string) => (await admin('GET', path)).json as Json;
const channel = (id = FAKE_SLACK_CHANNEL) => slack.channels.get(id) ?? [];
const textOf = (value: unknown) => JSON.stringify(value);

async function slash(text: string, userId: string = SLACK_HUMAN.id, userName?: string) {
  const request = slack.requests.slashCommand({
    text,
    userId,
    channelId: FAKE_SLACK_CHANNEL,
    ...(userName ? { userName } : {}),
  });
  const started = performance.now();
  const res = await slackEvents(request);
  const ackMs = performance.now() - started;
  const ack = await res.text();
  const answer = await eventually(async () => slack.responses.get(request.responseUrl)?.[0], 60_000);
  return { status: res.status, ackMs, ack, answer, responseUrl: request.responseUrl };
}

async function person(name: string, email: string, role: string) {
  const created = await admin('POST', `/v1/orgs/${orgId}/users`, { email, name, role });
  expect(created.status).toBe(201);
  const id = String(created.json.id);
  const minted = runCli(hub, ['token', 'mint', '--sub', id, '--org', orgId, '--role', role]);
  return { id, jwt: minted.stdout.trim() };
}

function mergedPullRequest(number: number, title: string): Json {
  const closed = examples.find((e) => e.name === 'pull_request')?.examples.find((p) => p.action === 'closed');
  if (!closed) throw new Error('no closed pull_request example');
  const copy = structuredClone(closed);
  copy.repository = { ...copy.repository, full_name: REPO, name: 'web' };
  copy.pull_request = {
    ...copy.pull_request,
    number,
    title,
    merged: true,
    merged_at: new Date().toISOString(),
    closed_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    state: 'closed',
  };
  return copy;
}

beforeAll(async () => {
  [slack, teams, fakes, receiver] = await Promise.all([
    startFakeSlack(),
    startFakeTeams(),
    startSyncFakes(),
    new WebhookReceiver().start(),
  ]);
  hub = await startRuntime();
  admin = client(hub);
  entra = await startOidcIdp([
    {
      clientId: String(teams.settings.appId),
      clientSecret: String(teams.settings.clientSecret),
      redirectUri: `${hub.url}/msteams/oauth/callback`,
    },
  ]);
  // The deployment's chat apps point at the fakes wherever they listen.
  expect((await admin('PUT', '/v1/platform/chat-apps/slack', slack.appSettings)).status).toBe(200);
  expect(
    (
      await admin('PUT', '/v1/platform/chat-apps/msteams', {
        ...teams.settings,
        entraAuthority: entra.issuer,
      })
    ).status,
  ).toBe(200);
  const slug = `chat-${Date.now().toString(36)}`;
  orgId = String((await admin('POST', '/v1/orgs', { name: 'Chat Co', slug })).json.id);
  users.ada = await person('Ada', SLACK_HUMAN.email, 'member');
  users.vic = await person('Vic', `vic@${slug}.test`, 'viewer');
  users.tia = await person('Tia', TEAMS_PERSON.email, 'member');
  ({ jiraConnection } = await connectSyncFakes(hub, orgId, fakes));
  const mapping = await admin('POST', `/v1/orgs/${orgId}/mappings`, {
    tracker: { connectionId: jiraConnection, project: 'WEB' },
    codeHost: {
      connectionId: (await read(`/v1/orgs/${orgId}/connections`)).items.find(
        (c: Json) => c.provider === 'github',
      ).id,
      repository: REPO,
    },
  });
  expect(mapping.status).toBe(201);
  agentKey = String(
    (await admin('POST', `/v1/orgs/${orgId}/api-keys`, { name: 'release agent', role: 'member' })).json.key,
  );
  const endpoint = await admin('POST', `/v1/orgs/${orgId}/webhook-endpoints`, {
    url: receiver.url,
    eventTypes: ['approval.*'],
  });
  expect(endpoint.status).toBe(201);
  endpointId = String(endpoint.json.id);
  receiver.secrets.push(String(endpoint.json.secret));
}, 240_000);

afterAll(async () => {
  if (process.env.CHAT_E2E_LOG) {
    writeFileSync(process.env.CHAT_E2E_LOG, hub?.output() ?? '');
    const events = await read(`/v1/orgs/${orgId}/events?limit=100`);
    writeFileSync(
      `${process.env.CHAT_E2E_LOG}.json`,
      JSON.stringify(
        {
          events,
          calls: slack.calls,
          channels: [...slack.channels],
          sent: fakes.github.webhooks.sent,
          teams: teams.calls,
        },
        null,
        1,
      ),
    );
  }
  await hub?.stop();
  await Promise.all([slack?.stop(), teams?.stop(), fakes?.stop(), receiver?.stop(), entra?.stop()]);
});

describe('chat apps end to end', () => {
  it('installs Slack: install URL → consent → callback → a connection with its team bound', async () => {
    const started = await admin('POST', `/v1/orgs/${orgId}/chat-installs`, { provider: 'slack' });
    expect(started.status).toBe(201);
    const installUrl = String(started.json.installUrl);
    // The hub's install page sends the person on to Slack's consent, which comes back to the callback;
    // the browser that opened the link gets the install's cookie, for the callback alone.
    const browser = new Browser();
    const hop1 = await browser.open(installUrl);
    expect([302, 303]).toContain(hop1.status);
    expect(browser.cookies()).toEqual([
      expect.objectContaining({
        path: '/slack/oauth/callback',
        httpOnly: true,
        sameSite: 'Lax',
        secure: false,
      }),
    ]);
    const consent = String(hop1.headers.get('location'));
    expect(consent.startsWith(`${slack.url}/oauth/v2/authorize`)).toBe(true);
    const hop2 = await browser.open(consent);
    const callback = String(hop2.headers.get('location'));
    expect(callback.startsWith(`${hub.url}/slack/oauth/callback`)).toBe(true);
    // The same callback from another browser (or with no cookie at all) is refused, nothing used up.
    for (const stranger of [
      await new Browser().open(callback),
      await fetch(callback, { redirect: 'manual' }),
    ]) {
      expect(stranger.status).toBe(403);
      expect(stranger.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await stranger.text()).toContain('started in another browser');
    }
    expect(slack.oauth.codeExchanges).toBe(0);
    const done = await browser.open(callback);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Slack is connected');
    expect(browser.cookies()).toEqual([]);
    const list = await read(`/v1/orgs/${orgId}/connections`);
    slackConnection = list.items.find((c: Json) => c.provider === 'slack');
    expect(slackConnection).toBeDefined();
    const detail = await admin('GET', `/v1/orgs/${orgId}/connections/${slackConnection.id}`);
    expect(detail.text).toContain(FAKE_SLACK_TEAM.id);
    expect(detail.text).not.toContain('xoxe.xoxb');
    expect(slack.oauth.codeExchanges).toBe(1);

    // The channel subscribes through a rule with a chat destination (`/hub subscribe` needs notifications:manage).
    const rule = await admin('POST', `/v1/orgs/${orgId}/notification-rules`, {
      name: 'Web channel',
      enabled: true,
      eventTypes: ['work_item.*', 'pull_request.*'],
      conditions: {},
      destinations: [{ kind: 'chat', connectionId: slackConnection.id, conversation: FAKE_SLACK_CHANNEL }],
    });
    ruleAt = Date.now();
    expect({ status: rule.status, body: rule.json }).toMatchObject({ status: 201 });
    // Another org installing the same workspace is refused.
    const other = String(
      (await admin('POST', '/v1/orgs', { name: 'Other', slug: `o-${Date.now().toString(36)}` })).json.id,
    );
    const second = await admin('POST', `/v1/orgs/${other}/chat-installs`, { provider: 'slack' });
    const browser2 = new Browser();
    const consent2 = String((await browser2.open(String(second.json.installUrl))).headers.get('location'));
    const callback2 = String((await browser2.open(consent2)).headers.get('location'));
    const refused = await browser2.open(callback2);
    expect(refused.status).toBe(409);
    const otherList = await read(`/v1/orgs/${other}/connections`);
    expect(
      (otherList.items as Json[]).filter((c) => c.provider === 'slack' && c.status === 'active'),
    ).toEqual([]);
  }, 120_000);

  it('answers /hub status within Slack’s 3 s, the answer through response_url', async () => {
    const key = (
      await fakes.asHuman('jira', 'POST', '/rest/api/3/issue', {
        fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Status check' },
      })
    ).key as string;
    const result = await slash(`status ${key}`);
    expect(result.status).toBe(200);
    expect(result.ackMs).toBeLessThan(3000);
    expect(textOf(result.answer)).toContain(key);
  }, 120_000);

  it('subscribes a channel: a Jira transition posts a card, the PR merge updates the same message with a thread reply', async () => {
    // Rules are cached for RULE_CACHE_MS: events from then on see the channel's rule.
    await new Promise((r) => setTimeout(r, Math.max(0, ruleAt + RULE_CACHE_MS + 500 - Date.now())));
    const created = await fakes.asHuman('jira', 'POST', '/rest/api/3/issue', {
      fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Checkout fails' },
    });
    const key = String(created.key);
    const before = channel().length;
    await fakes.asHuman('jira', 'POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '12' } });
    const card = await eventually(
      async () =>
        channel().find((m) => !m.threadTs && textOf(m).includes(key) && textOf(m).includes('In Progress')),
      90_000,
    );
    expect(card.blocks.length).toBeGreaterThan(0);
    expect(channel().length).toBeGreaterThan(before);
    fakes.github.webhooks.send('pull_request', mergedPullRequest(77, `${key}: fix the checkout`));
    await eventually(async () => (card.edits > 0 ? true : undefined), 90_000);
    const update = slack.calls.find((c) => c.method === 'chat.update' && c.params.ts === card.ts);
    expect(update).toBeDefined();
    await eventually(async () => channel().find((m) => m.threadTs === card.ts), 30_000);
  }, 240_000);

  it('moves a work item only for a matched member: an unmatched user gets a link, a viewer is refused', async () => {
    const key = String(
      (
        await fakes.asHuman('jira', 'POST', '/rest/api/3/issue', {
          fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Move me' },
        })
      ).key,
    );
    // Eve's Slack address is not confirmed: the hub does not know her, and offers only a link,
    // even for help.
    const help = await slash('help', SLACK_UNCONFIRMED.id, SLACK_UNCONFIRMED.name);
    expect(textOf(help.answer)).toContain('/chat-links/');
    expect(textOf(help.answer)).not.toContain('Hub commands');
    const unmatched = await slash(`move ${key} Done`, SLACK_UNCONFIRMED.id, SLACK_UNCONFIRMED.name);
    const token = [...textOf(unmatched.answer).matchAll(/\/chat-links\/([A-Za-z0-9._-]+)/g)]
      .map((m) => m[1] as string)
      .find((t) => CHAT_LINK_TOKEN.test(t));
    expect(token).toBeDefined();
    // The link's page says whose account, in which workspace, would be linked.
    const shown = await fetch(`${hub.url}/chat-links/${token}`);
    expect(shown.status).toBe(200);
    const pageText = await shown.text();
    expect(pageText).toMatch(
      new RegExp(
        `<dd id="chat-account"><strong>${SLACK_UNCONFIRMED.realName}</strong> \\(@${SLACK_UNCONFIRMED.name}\\), id <code>${SLACK_UNCONFIRMED.id}</code></dd>`,
      ),
    );
    expect(pageText).toContain(
      `<dd id="chat-installation"><strong>${FAKE_SLACK_TEAM.name}</strong>, id <code>${FAKE_SLACK_TEAM.id}</code></dd>`,
    );
    expect(fakes.jira.issues.get(key)?.fields.status.name).toBe('To Do');
    // Only a person's own user token confirms a link: an API key is refused.
    const byKey = await client(hub, agentKey)('POST', `/v1/orgs/${orgId}/chat-links`, { token });
    expect({ status: byKey.status, type: byKey.headers.get('content-type') }).toMatchObject({
      status: 403,
      type: expect.stringContaining('application/problem+json'),
    });
    // Links are 1:1: Ada, linked to her own Slack account of this workspace already, cannot take Eve's.
    const second = await client(hub, users.ada?.jwt)('POST', `/v1/orgs/${orgId}/chat-links`, { token });
    expect({ status: second.status, body: second.json }).toMatchObject({
      status: 409,
      body: { reason: 'user_taken', linkedPlatformUserId: SLACK_HUMAN.id },
    });
    // That link is Ada's to remove (not an API key's); she is matched by her email again next time.
    const unlink = `/v1/orgs/${orgId}/chat-links/slack/${SLACK_HUMAN.id}`;
    expect((await client(hub, agentKey)('DELETE', unlink)).status).toBe(403);
    expect((await client(hub, users.vic?.jwt)('DELETE', unlink)).status).toBe(404);
    expect((await client(hub, users.ada?.jwt)('DELETE', unlink)).status).toBe(204);
    expect((await client(hub, users.ada?.jwt)('DELETE', unlink)).status).toBe(404);
    // Vic (a viewer) confirms the link: Eve is Vic now, and a viewer may not move items.
    const confirmed = await client(hub, users.vic?.jwt)('POST', `/v1/orgs/${orgId}/chat-links`, {
      token,
    });
    expect({ status: confirmed.status, body: confirmed.json }).toMatchObject({ status: 200 });
    const viewer = await slash(`move ${key} Done`, SLACK_UNCONFIRMED.id);
    expect(textOf(viewer.answer)).toContain('does not grant work_items:manage');
    expect(fakes.jira.issues.get(key)?.fields.status.name).toBe('To Do');
    // Ada (a member, matched by her verified email) moves it, and the trail says it came from Slack.
    const member = await slash(`move ${key} Done`);
    expect(textOf(member.answer)).toContain('Done');
    expect(fakes.jira.issues.get(key)?.fields.status.name).toBe('Done');
    const trail = await read(`/v1/orgs/${orgId}/audit-events?action=work_item.moved`);
    expect(trail.items).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ id: users.ada?.id }) }),
    ]);
    expect(textOf(trail.items[0])).toContain('slack');
    // Assigning by email: Jira is sent the person's account id, looked up through its user search.
    const assigned = await slash(`assign ${key} ${JIRA_HUMAN.email}`);
    expect(textOf(assigned.answer)).toContain(`Assigned to ${JIRA_HUMAN.email}`);
    expect(fakes.jira.issues.get(key)?.fields.assignee?.accountId).toBe(JIRA_HUMAN.accountId);
  }, 180_000);

  it('posts an agent approval to Slack, answered by a button click and delivered to the agent', async () => {
    const agent = client(hub, agentKey);
    const asked = await agent('POST', `/v1/orgs/${orgId}/approvals`, {
      question: 'Deploy release 1.4?',
      options: [
        { id: 'approve', label: 'Approve' },
        { id: 'reject', label: 'Reject' },
      ],
      answerers: { userIds: [users.ada?.id] },
      callbackEndpointId: endpointId,
      destination: { kind: 'chat', connectionId: slackConnection.id, conversation: FAKE_SLACK_CHANNEL },
    });
    expect({ status: asked.status, body: asked.json }).toMatchObject({ status: 201 });
    const approvalId = String(asked.json.id);
    const message = await eventually(
      async () => channel().find((m) => textOf(m.blocks).includes('Deploy release 1.4')),
      60_000,
    );
    const actionIds = [...textOf(message.blocks).matchAll(/"action_id":"([^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    const approve = actionIds.find((id) => id.includes('approve'));
    expect(approve).toBeDefined();
    const click = slack.requests.blockAction({
      actionId: String(approve),
      userId: SLACK_HUMAN.id,
      channelId: FAKE_SLACK_CHANNEL,
      messageTs: message.ts,
    });
    expect((await slackEvents(click)).status).toBe(200);
    await receiver.until(
      (all) => all.some((r) => r.body.includes('approval.decided') && r.body.includes(approvalId)),
      60_000,
    );
    expect((await agent('GET', `/v1/orgs/${orgId}/approvals/${approvalId}`)).json.status).toMatch(
      /approved|decided/,
    );
    // A second click sees who decided.
    const again = slack.requests.blockAction({
      actionId: String(approve),
      userId: SLACK_HUMAN.id,
      channelId: FAKE_SLACK_CHANNEL,
      messageTs: message.ts,
    });
    expect((await slackEvents(again)).status).toBe(200);
    const said = await eventually(async () => slack.responses.get(again.responseUrl)?.[0], 30_000);
    expect(textOf(said)).toContain('Ada');
  }, 180_000);

  it('installs the Teams bot and answers an approval with an Action.Execute invoke', async () => {
    const created = await admin('POST', `/v1/orgs/${orgId}/connections`, {
      provider: 'msteams',
      name: 'Teams',
      config: { baseUrl: teams.url },
    });
    expect(created.status).toBe(201);
    const conId = String(created.json.id);
    expect(
      (
        await admin('PUT', `/v1/orgs/${orgId}/connections/${conId}/credentials`, {
          kind: 'teams_bot',
          tenantId: TEAMS_TENANT,
        })
      ).status,
    ).toBe(200);
    const conv = teams.addChannel('19:web-general@thread.tacv2', { members: [TEAMS_PERSON] });
    // Knowing the connection id is no proof of authority: it binds nothing.
    const guessed = await teams.send(
      `${hub.url}/msteams/events`,
      teams.activities.message({ id: conv.id }, `connect ${conId}`),
    );
    expect(guessed.status).toBe(200);
    expect(textOf([...conv.activities.values()].at(-1))).toContain('cannot connect this tenant');
    // A viewer may not make a bind code; an admin makes one with the CLI, shown once.
    const refused = await client(hub, users.vic?.jwt)(
      'POST',
      `/v1/orgs/${orgId}/connections/${conId}/bind-codes`,
      {},
    );
    expect(refused.status).toBe(403);
    const bad = await admin('POST', `/v1/orgs/${orgId}/connections/${conId}/bind-codes`, {
      expiresInMinutes: 600,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const made = runCli(hub, ['chat-installs', 'bind-code', orgId, conId, '--expires-in-minutes', '10']);
    expect(made.status).toBe(0);
    const code = String(JSON.parse(made.stdout).code);
    expect(code).toMatch(/^hubbind_/);
    const connect = await teams.send(
      `${hub.url}/msteams/events`,
      teams.activities.message({ id: conv.id }, `connect ${code}`),
    );
    expect(connect.status).toBeLessThan(300);
    // Pending until a Microsoft admin of the tenant confirms: the bot answers with the link.
    const link = textOf([...conv.activities.values()].at(-1)).match(
      /http:[^"\\]+\/msteams\/install\?state=[^"\\]+/,
    )?.[0];
    expect(link).toBeDefined();
    expect(
      (await read(`/v1/orgs/${orgId}/audit-events?action=chat.installation_pending`)).items,
    ).toHaveLength(1);
    /**
     * Opens the link in a browser, presses the page's button (a same-site form POST) and signs in
     * at "Entra" as `account`: the hub's last page.
     */
    const confirmAs = async (account: Parameters<TestOidcIdp['signInAs']>[0], at = String(link)) => {
      entra.signInAs(account);
      const browser = new Browser();
      const shown = await browser.open(at);
      const page = await shown.text();
      if (shown.status !== 200) return { status: shown.status, body: page };
      // The page names the org being connected and asks for the button.
      expect(page).toContain(orgId);
      const action = page.match(/<form method="post" action="([^"]+)">/)?.[1];
      const state = page.match(/name="state" value="([^"]+)"/)?.[1];
      expect(action && state).toBeTruthy();
      let res = await browser.postForm(String(action), { state: String(state) }, false);
      let url = String(action);
      for (let hop = 0; hop < 12; hop++) {
        if (hop > 0) res = await browser.open(url);
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || !location)
          return { status: res.status, body: await res.text() };
        url = new URL(location, url).toString();
      }
      throw new Error('too many redirects');
    };
    const teamsAdmin = {
      sub: 'entra-admin',
      email: 'admin@contoso.test',
      tid: TEAMS_TENANT,
      wids: ['69091246-20e8-4a56-aa4d-066075b2a7a8'],
    };
    // A tenant member without an admin role cannot confirm (and uses the link up: single use).
    const member = await confirmAs({
      sub: 'entra-tia',
      email: TEAMS_PERSON.email,
      tid: TEAMS_TENANT,
      wids: ['b79fbf4d-3ef9-4689-8143-76b194e85509'],
    });
    expect(member.status).toBe(403);
    expect(member.body).toContain('Only a Microsoft admin of the tenant can confirm');
    const denials = await read(`/v1/orgs/${orgId}/audit-events?action=chat.installation_refused`);
    expect(denials.items?.[0]?.after?.reason).toBe('not_tenant_admin');
    expect((await read(`/v1/orgs/${orgId}/audit-events?action=chat.installation_bound`)).items).toHaveLength(
      0,
    );
    const reused = await confirmAs(teamsAdmin);
    expect(reused.status).toBe(400);
    // A fresh code, and this time a Teams Administrator of the tenant confirms.
    const code2 = String(JSON.parse(runCli(hub, ['chat-installs', 'bind-code', orgId, conId]).stdout).code);
    await teams.send(
      `${hub.url}/msteams/events`,
      teams.activities.message({ id: conv.id }, `connect ${code2}`),
    );
    const link2 = textOf([...conv.activities.values()].at(-1)).match(
      /http:[^"\\]+\/msteams\/install\?state=[^"\\]+/,
    )?.[0];
    expect(link2).toBeDefined();
    expect(link2).not.toBe(link);
    const confirmed = await confirmAs(teamsAdmin, String(link2));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain('The Teams tenant is connected');
    // The tenant is bound to the org (audited), and the conversation is remembered for proactive posts.
    await eventually(async () => {
      const bound = await read(`/v1/orgs/${orgId}/audit-events?action=chat.installation_bound`);
      return bound.items?.length ? true : undefined;
    }, 60_000);
    // The code was used once: a second `connect` with it (from anywhere) binds nothing more, and
    // the code is in no log line, audit record or queued message of the hub.
    const codesMade = await read(`/v1/orgs/${orgId}/audit-events?action=chat.bind_code_created`);
    expect(codesMade.items).toHaveLength(2);
    for (const used of [code, code2]) {
      expect(JSON.stringify(await read(`/v1/orgs/${orgId}/audit-events?limit=100`))).not.toContain(used);
      expect(hub.output()).not.toContain(used);
    }

    const agent = client(hub, agentKey);
    const asked = await agent('POST', `/v1/orgs/${orgId}/approvals`, {
      question: 'Rotate the signing key?',
      options: [
        { id: 'approve', label: 'Approve' },
        { id: 'reject', label: 'Reject' },
      ],
      answerers: { userIds: [users.tia?.id] },
      callbackEndpointId: endpointId,
      destination: { kind: 'chat', connectionId: conId, conversation: conv.id },
    });
    expect(asked.status).toBe(201);
    const approvalId = String(asked.json.id);
    const [activityId, posted] = await eventually(
      async () =>
        [...conv.activities.entries()].find(([, a]) => textOf(a).includes('Rotate the signing key')),
      60_000,
    );
    const verbs = [...textOf(posted).matchAll(/"verb":"([^"]+)"/g)].map((m) => m[1] as string);
    const verb = verbs.find((v) => v.includes('approve'));
    expect(verb).toBeDefined();
    const click = () =>
      teams.send(
        `${hub.url}/msteams/events`,
        teams.activities.execute({ id: conv.id }, String(verb), activityId),
      );
    // A Teams user is never matched by the roster's address (a tenant admin sets it freely): Tia's
    // first click gets the bot's signed link, and nothing is decided.
    const before = conv.activities.size;
    expect((await click()).status).toBe(200);
    const token = await eventually(async () =>
      [...conv.activities.values()]
        .slice(before)
        .flatMap((a) =>
          [...textOf(a).matchAll(/\/chat-links\/([A-Za-z0-9._-]+)/g)].map((m) => m[1] as string),
        )
        .find((t) => CHAT_LINK_TOKEN.test(t)),
    );
    expect((await read(`/v1/orgs/${orgId}/approvals/${approvalId}`)).status).toBe('pending');
    const linked = await client(hub, users.tia?.jwt)('POST', `/v1/orgs/${orgId}/chat-links`, { token });
    expect(linked.status).toBe(200);
    const answered = await click();
    expect(answered.status).toBe(200);
    await receiver.until(
      (all) => all.some((r) => r.body.includes('approval.decided') && r.body.includes(approvalId)),
      60_000,
    );

    // A DM Teams refuses to open is told to whoever asked for it: Gus (a guest from another
    // tenant) links himself through the bot; Rae's rule sends his DM; Teams refuses a 1:1 chat with
    // him; Rae gets an email saying why and how to fix it.
    const gus = await person('Gus', TEAMS_GUEST.email, 'member');
    const beforeGus = conv.activities.size;
    await teams.send(
      `${hub.url}/msteams/events`,
      teams.activities.message({ id: conv.id }, 'status WEB-1', TEAMS_GUEST),
    );
    const gusToken = await eventually(async () =>
      [...conv.activities.values()]
        .slice(beforeGus)
        .flatMap((a) =>
          [...textOf(a).matchAll(/\/chat-links\/([A-Za-z0-9._-]+)/g)].map((m) => m[1] as string),
        )
        .find((t) => CHAT_LINK_TOKEN.test(t)),
    );
    expect(
      (await client(hub, gus.jwt)('POST', `/v1/orgs/${orgId}/chat-links`, { token: gusToken })).status,
    ).toBe(200);
    const raeEmail = `rae-${Date.now().toString(36)}@example.test`;
    const rae = await person('Rae', raeEmail, 'admin');
    const dmRule = await client(hub, rae.jwt)('POST', `/v1/orgs/${orgId}/notification-rules`, {
      name: 'Gus in Teams',
      eventTypes: ['work_item.*'],
      destinations: [{ kind: 'chat', connectionId: conId, conversation: `user:${gus.id}` }],
    });
    expect(dmRule.status).toBe(201);
    expect(dmRule.json.createdBy).toMatchObject({ userId: rae.id, name: 'Rae' });
    await new Promise((r) => setTimeout(r, RULE_CACHE_MS + 500));
    const issue = await fakes.asHuman('jira', 'POST', '/rest/api/3/issue', {
      fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Guest DM' },
    });
    await fakes.asHuman('jira', 'POST', `/rest/api/3/issue/${String(issue.key)}/transitions`, {
      transition: { id: '12' },
    });
    const notice = await eventually(async () => {
      const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(raeEmail)}`);
      const items = ((await res.json()) as { items: Json[] }).items;
      return items.find((m) => String(m.subject).includes('could not be delivered'));
    }, 90_000);
    expect(textOf(notice)).toContain('not a member of the bound tenant');
    expect(textOf(notice)).toContain('install the hub app personally');
    // The Slack channel subscribed earlier gets these events too: done before the next test counts its calls.
    await eventually(
      async () =>
        channel().find(
          (m) => !m.threadTs && textOf(m).includes(String(issue.key)) && textOf(m).includes('In Progress'),
        ),
      90_000,
    );
  }, 300_000);

  it('refuses a forged Slack signature and an invalid Teams token with nothing queued', async () => {
    const callsBefore = slack.calls.length;
    const forged = slack.requests.slashCommand({
      text: 'status WEB-1',
      userId: SLACK_HUMAN.id,
      channelId: FAKE_SLACK_CHANNEL,
    });
    const res = await slackEvents({
      headers: { ...forged.headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` },
      body: forged.body,
    });
    expect(res.status).toBe(401);
    const conv = teams.addChannel('19:forged@thread.tacv2', { members: [TEAMS_PERSON] });
    const bad = await teams.send(
      `${hub.url}/msteams/events`,
      teams.activities.message({ id: conv.id }, 'status WEB-1'),
      { foreignKey: true },
    );
    expect(bad.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1500));
    expect(slack.responses.get(forged.responseUrl)).toBeUndefined();
    expect(slack.calls.length).toBe(callsBefore);
    expect(conv.activities.size).toBe(0);
  }, 60_000);
});
