import { randomBytes } from 'node:crypto';
import { signSlackRequest } from '../../../shared/connectors/slack/verify';

/** A request as Slack sends it to an app: the raw body and its headers, signed with the app's signing secret. */
export interface SlackRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

const id = (prefix: string, length = 10) =>
  `${prefix}${randomBytes(length).toString('hex').toUpperCase().slice(0, length)}`;

/**
 * Builds the requests Slack sends an app — Events API callbacks, `url_verification`, slash commands,
 * block actions, message shortcuts, options — signed as Slack signs them (v0, HMAC-SHA256 over
 * `v0:<timestamp>:<body>`), at `at` (the real clock unless given).
 */
export class SlackRequests {
  constructor(
    private readonly signingSecret: string,
    private readonly team: { readonly id: string; readonly domain: string },
    /** Where the fake takes `response_url` answers (its `/hooks/` endpoint). */
    private readonly responseUrl: () => string,
    private readonly appId = 'A0FAKEAPP01',
  ) {}

  private signed(
    body: string,
    contentType: string,
    options: { at?: Date; retryNum?: number } = {},
  ): SlackRequest {
    return {
      body,
      headers: {
        'content-type': contentType,
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        ...signSlackRequest(this.signingSecret, body, options.at ?? new Date()),
        ...(options.retryNum !== undefined
          ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
          : {}),
      },
    };
  }

  urlVerification(challenge = id('chal', 24)): SlackRequest & { challenge: string } {
    return {
      challenge,
      ...this.signed(
        JSON.stringify({ token: 'deprecated', challenge, type: 'url_verification' }),
        'application/json',
      ),
    };
  }

  /** An Events API callback; the same `eventId` with `retryNum` is Slack's retry of it. */
  event(
    event: Record<string, unknown>,
    options: { eventId?: string; at?: Date; retryNum?: number; teamId?: string } = {},
  ): SlackRequest & { eventId: string } {
    const eventId = options.eventId ?? id('Ev', 10);
    const at = options.at ?? new Date();
    const body = JSON.stringify({
      token: 'deprecated',
      team_id: options.teamId ?? this.team.id,
      api_app_id: this.appId,
      event: { event_ts: `${Math.floor(at.getTime() / 1000)}.000100`, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(at.getTime() / 1000),
      authorizations: [
        { team_id: options.teamId ?? this.team.id, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
    });
    return {
      eventId,
      ...this.signed(body, 'application/json', {
        at,
        ...(options.retryNum !== undefined ? { retryNum: options.retryNum } : {}),
      }),
    };
  }

  /** A slash command (`/hub status WEB-12`), form-encoded as Slack posts it. */
  slashCommand(input: {
    text: string;
    userId: string;
    userName?: string;
    channelId: string;
    command?: string;
    teamId?: string;
    responseUrl?: string;
    at?: Date;
  }): SlackRequest & { triggerId: string; responseUrl: string } {
    const triggerId = `${Date.now()}.${id('', 8)}`;
    const responseUrl = input.responseUrl ?? this.responseUrl();
    const body = new URLSearchParams({
      token: 'deprecated',
      team_id: input.teamId ?? this.team.id,
      team_domain: this.team.domain,
      channel_id: input.channelId,
      channel_name: 'general',
      user_id: input.userId,
      user_name: input.userName ?? 'someone',
      command: input.command ?? '/hub',
      text: input.text,
      api_app_id: this.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    }).toString();
    return {
      triggerId,
      responseUrl,
      ...this.signed(body, 'application/x-www-form-urlencoded', input.at ? { at: input.at } : {}),
    };
  }

  /** A click on a button of a message the app posted (`block_actions`, as `payload=` JSON). */
  blockAction(input: {
    actionId: string;
    userId: string;
    channelId: string;
    messageTs: string;
    threadTs?: string;
    teamId?: string;
    at?: Date;
  }): SlackRequest & { triggerId: string; responseUrl: string } {
    const triggerId = `${Date.now()}.${id('', 8)}`;
    const responseUrl = this.responseUrl();
    const teamId = input.teamId ?? this.team.id;
    const payload = {
      type: 'block_actions',
      user: { id: input.userId, username: 'someone', name: 'someone', team_id: teamId },
      api_app_id: this.appId,
      token: 'deprecated',
      container: {
        type: 'message',
        message_ts: input.messageTs,
        channel_id: input.channelId,
        is_ephemeral: false,
      },
      trigger_id: triggerId,
      team: { id: teamId, domain: this.team.domain },
      channel: { id: input.channelId, name: 'general' },
      message: {
        type: 'message',
        ts: input.messageTs,
        text: '',
        ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
      },
      response_url: responseUrl,
      actions: [
        {
          action_id: input.actionId,
          block_id: 'b1',
          text: { type: 'plain_text', text: 'button' },
          value: input.actionId,
          type: 'button',
          action_ts: `${Math.floor(Date.now() / 1000)}.000200`,
        },
      ],
    };
    return {
      triggerId,
      responseUrl,
      ...this.signed(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
        input.at ? { at: input.at } : {},
      ),
    };
  }

  /** A message shortcut on a message (`message_action`). */
  messageShortcut(input: {
    callbackId: string;
    userId: string;
    channelId: string;
    messageText: string;
  }): SlackRequest & { triggerId: string } {
    const triggerId = `${Date.now()}.${id('', 8)}`;
    const payload = {
      type: 'message_action',
      callback_id: input.callbackId,
      trigger_id: triggerId,
      team: { id: this.team.id, domain: this.team.domain },
      user: { id: input.userId, name: 'someone' },
      channel: { id: input.channelId, name: 'general' },
      message: { type: 'message', ts: '1700000000.000100', text: input.messageText },
      response_url: this.responseUrl(),
    };
    return {
      triggerId,
      ...this.signed(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
      ),
    };
  }

  /** A select's request for its options (`block_suggestion`). */
  options(value: string): SlackRequest {
    const payload = {
      type: 'block_suggestion',
      user: { id: 'U0HUMAN001', team_id: this.team.id },
      team: { id: this.team.id },
      action_id: 'command',
      block_id: 'b1',
      value,
    };
    return this.signed(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );
  }

  /** Sends a built request to the hub's app endpoint (`<hub>/slack/events`). */
  static async send(url: string, request: SlackRequest): Promise<Response> {
    return fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  }
}
