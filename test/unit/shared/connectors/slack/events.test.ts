import type { AppRequest } from '../../../../../shared/chat/model';
import { slackProvider } from '../../../../../shared/connectors/slack/module';
import { slackLocalDefaults } from '../../../../../shared/connectors/slack/settings';
import { chatDeps, installationsDouble } from '../../../../fakes/slack/chat-deps';
import type { SlackRequest } from '../../../../fakes/slack/requests';
import { SlackRequests } from '../../../../fakes/slack/requests';

const settings = slackLocalDefaults('http://127.0.0.1:3104');
const team = { id: 'T0FAKETEAM1', domain: 'acme' };
let hooks = 0;
const slack = new SlackRequests(settings.signingSecret ?? '', team, () => {
  hooks += 1;
  return `http://127.0.0.1:3104/hooks/commands/${team.id}/${hooks}/secret`;
});
const forger = new SlackRequests('not-the-signing-secret', team, () => 'http://127.0.0.1:3104/hooks/x');

function app() {
  const installations = installationsDouble();
  installations.bound.set(`slack:${team.id}`, { orgId: 'org_A', connectionId: 'con_A' });
  const deps = chatDeps({ appSettings: settings, installations });
  return {
    installations,
    handle: slackProvider.chat?.app(deps).handle ?? (() => Promise.reject(new Error('no chat part'))),
  };
}
const post = (request: SlackRequest): AppRequest => ({
  method: 'POST',
  inbound: 'events',
  headers: request.headers,
  query: {},
  body: request.body,
  receivedAt: new Date(),
});

describe("Slack's requests to the app endpoint", () => {
  it('refuses a forged signature before reading anything: no lookup, no work', async () => {
    const { installations, handle } = app();
    const reply = await handle(
      post(forger.slashCommand({ text: 'move WEB-12 Done', userId: 'U0HUMAN001', channelId: 'C0GENERAL01' })),
    );
    expect(reply.status).toBe(401);
    expect(reply.work).toBeUndefined();
    expect(installations.finds).toBe(0);
  });

  it('refuses a request whose body was changed, or one replayed after five minutes', async () => {
    const { installations, handle } = app();
    const signed = slack.slashCommand({ text: 'help', userId: 'U0HUMAN001', channelId: 'C0GENERAL01' });
    expect((await handle(post({ ...signed, body: signed.body.replace('help', 'move') }))).status).toBe(401);
    const old = slack.event({ type: 'app_uninstalled' }, { at: new Date(Date.now() - 6 * 60_000) });
    expect((await handle(post(old))).status).toBe(401);
    expect(installations.finds).toBe(0);
  });

  it("answers Slack's url_verification challenge", async () => {
    const { handle } = app();
    const challenge = slack.urlVerification();
    const reply = await handle(post(challenge));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body ?? '{}')).toEqual({ challenge: challenge.challenge });
  });

  it('turns app_uninstalled into uninstalled work identified by the event id, the same on a retry', async () => {
    const { handle } = app();
    const first = slack.event({ type: 'app_uninstalled' });
    const retry = slack.event({ type: 'app_uninstalled' }, { eventId: first.eventId, retryNum: 1 });
    const [a, b] = [await handle(post(first)), await handle(post(retry))];
    expect(a.status).toBe(200);
    expect(a.work).toEqual([
      expect.objectContaining({
        id: first.eventId,
        orgId: 'org_A',
        connectionId: 'con_A',
        provider: 'slack',
        // The workspace to unbind, so it can be installed again.
        installationId: expect.stringMatching(/^T/),
        request: { kind: 'uninstalled' },
      }),
    ]);
    expect(b.work?.[0]?.id).toBe(first.eventId);
  });

  it('turns tokens_revoked of the bot into uninstalled work, but not a revoked user token', async () => {
    const { handle } = app();
    const bot = await handle(
      post(slack.event({ type: 'tokens_revoked', tokens: { oauth: [], bot: ['U0FAKEBOT01'] } })),
    );
    expect(bot.work?.[0]?.request).toEqual({ kind: 'uninstalled' });
    const user = await handle(
      post(slack.event({ type: 'tokens_revoked', tokens: { oauth: ['U0HUMAN001'], bot: [] } })),
    );
    expect(user.work).toBeUndefined();
    const other = await handle(post(slack.event({ type: 'app_home_opened', user: 'U0HUMAN001' })));
    expect(other).toMatchObject({ status: 200 });
    expect(other.work).toBeUndefined();
  });

  it('acknowledges a slash command at once with an ephemeral answer and queues the command with its response_url', async () => {
    const { handle } = app();
    const command = slack.slashCommand({
      text: ' status WEB-12 ',
      userId: 'U0HUMAN001',
      userName: 'ada',
      channelId: 'C0GENERAL01',
    });
    const reply = await handle(post(command));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body ?? '{}')).toEqual({ response_type: 'ephemeral', text: 'Working on it…' });
    expect(reply.work).toEqual([
      {
        id: command.triggerId,
        orgId: 'org_A',
        connectionId: 'con_A',
        provider: 'slack',
        // The workspace it came from (a link's page names it).
        installationId: team.id,
        actor: { platformUserId: 'U0HUMAN001', name: 'ada' },
        conversation: 'C0GENERAL01',
        receivedAt: expect.any(String),
        reply: {
          provider: 'slack',
          data: { response_url: command.responseUrl, channel: 'C0GENERAL01', team_id: team.id },
        },
        request: { kind: 'command', text: 'status WEB-12' },
      },
    ]);
  });

  it('answers a workspace that is bound to no org politely, queuing nothing', async () => {
    const { handle } = app();
    const reply = await handle(
      post(
        slack.slashCommand({
          text: 'help',
          userId: 'U0HUMAN001',
          channelId: 'C0GENERAL01',
          teamId: 'T0STRANGER',
        }),
      ),
    );
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body ?? '{}').text).toMatch(/not connected/);
    expect(reply.work).toBeUndefined();
    const event = await handle(post(slack.event({ type: 'app_uninstalled' }, { teamId: 'T0STRANGER' })));
    expect(event).toMatchObject({ status: 200 });
    expect(event.work).toBeUndefined();
  });

  it("refuses a response_url that is not on Slack's hooks host, so an answer can't be sent elsewhere", async () => {
    const { handle } = app();
    const reply = await handle(
      post(
        slack.slashCommand({
          text: 'help',
          userId: 'U0HUMAN001',
          channelId: 'C0GENERAL01',
          responseUrl: 'https://attacker.example/collect',
        }),
      ),
    );
    expect(reply.work).toBeUndefined();
    expect(JSON.parse(reply.body ?? '{}').response_type).toBe('ephemeral');
  });

  it('turns a button click into action work with the action id and the message it was on', async () => {
    const { handle } = app();
    const click = slack.blockAction({
      actionId: 'approval:apr_1:yes',
      userId: 'U0HUMAN001',
      channelId: 'C0GENERAL01',
      messageTs: '1700000000.000100',
      threadTs: '1699999999.000100',
    });
    const reply = await handle(post(click));
    expect(reply.status).toBe(200);
    expect(reply.work?.[0]).toMatchObject({
      id: click.triggerId,
      installationId: team.id,
      actor: { platformUserId: 'U0HUMAN001' },
      request: {
        kind: 'action',
        actionId: 'approval:apr_1:yes',
        message: {
          conversation: 'C0GENERAL01',
          messageId: '1700000000.000100',
          threadId: '1699999999.000100',
        },
      },
      reply: { data: { response_url: click.responseUrl, message_ts: '1700000000.000100' } },
    });
    const link = await handle(
      post(
        slack.blockAction({
          actionId: 'link:1',
          userId: 'U0HUMAN001',
          channelId: 'C0GENERAL01',
          messageTs: '1700000000.000100',
        }),
      ),
    );
    expect(link.work).toBeUndefined();
  });

  it('turns a message shortcut into a command with the message quoted, and answers options with a bounded list', async () => {
    const { handle } = app();
    const shortcut = await handle(
      post(
        slack.messageShortcut({
          callbackId: 'create',
          userId: 'U0HUMAN001',
          channelId: 'C0GENERAL01',
          messageText: 'WEB login broken',
        }),
      ),
    );
    expect(shortcut.work?.[0]?.request).toEqual({ kind: 'command', text: 'create WEB login broken' });
    const options = await handle(post(slack.options('s')));
    expect(JSON.parse(options.body ?? '{}')).toEqual({
      options: [
        { text: { type: 'plain_text', text: 'status' }, value: 'status' },
        { text: { type: 'plain_text', text: 'subscribe' }, value: 'subscribe' },
      ],
    });
  });
});
