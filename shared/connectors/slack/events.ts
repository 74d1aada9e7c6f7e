import type { AppReply, AppRequest, ChatWork, PlatformUser } from '../../chat/model';
import { headerOf } from '../../chat/model';
import { UnauthenticatedError } from '../../errors';
import type { ChatDeps } from '../provider-module';
import { isSlackHookUrl } from './client';
import { slackApp } from './settings';
import { verifySlackRequest } from './verify';

const PROVIDER = 'slack';
/** The bot's commands, offered to an options request (a select that loads its options). */
const COMMANDS = ['help', 'status', 'create', 'assign', 'move', 'link', 'subscribe'];
const MAX_TEXT = 3000;

type Json = Record<string, unknown>;
const json = (status: number, body: unknown): AppReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const ok = (work?: ChatWork[]): AppReply => ({ status: 200, ...(work && work.length > 0 ? { work } : {}) });
const ephemeral = (text: string, work?: ChatWork[]): AppReply => ({
  ...json(200, { response_type: 'ephemeral', text }),
  ...(work && work.length > 0 ? { work } : {}),
});
const str = (value: unknown, max = 200): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;
const obj = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};

const NOT_CONNECTED =
  "This Slack workspace is not connected to the Integration Hub. An admin of your hub organisation can connect it from the hub's Slack page.";

/**
 * `POST /slack/events`: every request Slack sends (Events API, slash commands, interactivity,
 * options) is verified first — Slack's v0 signature over the raw body, 5 minutes against the real
 * clock — and only then parsed. Work goes on the queue (the generic layer queues `work` before
 * answering); the answer is immediate, so Slack's 3 seconds are never at risk.
 */
export async function handleEvents(deps: ChatDeps, request: AppRequest): Promise<AppReply> {
  const app = await slackApp(deps.appSecret);
  try {
    // The real clock: a moved test clock must not widen Slack's replay window.
    verifySlackRequest(app.signingSecret, request.headers, request.body, new Date());
  } catch (error) {
    if (error instanceof UnauthenticatedError)
      return { status: 401, headers: { 'content-type': 'text/plain' }, body: 'invalid signature' };
    throw error;
  }
  const type = (headerOf(request.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  const receivedAt = request.receivedAt.toISOString();
  /** The org and connection a workspace is bound to, with the workspace's id (the work names it). */
  const installation = async (teamId: string | undefined) => {
    if (!teamId || !/^T[A-Z0-9]{2,40}$/.test(teamId)) return null;
    const found = await deps.installations.find(PROVIDER, teamId);
    return found ? { ...found, installationId: teamId } : null;
  };

  if (type === 'application/json') {
    let body: Json;
    try {
      body = obj(JSON.parse(request.body));
    } catch {
      return { status: 400, body: 'not JSON' };
    }
    if (body.type === 'url_verification') return json(200, { challenge: str(body.challenge, 500) ?? '' });
    if (body.type !== 'event_callback') return ok();
    const event = obj(body.event);
    const eventId = str(body.event_id, 100);
    const teamId = str(body.team_id, 50);
    if (!eventId) return { status: 400, body: 'no event_id' };
    const uninstalled =
      event.type === 'app_uninstalled' ||
      (event.type === 'tokens_revoked' &&
        Array.isArray(obj(event.tokens).bot) &&
        (obj(event.tokens).bot as unknown[]).length > 0);
    if (!uninstalled) return ok();
    const found = await installation(teamId);
    if (!found) return ok();
    return ok([
      {
        id: eventId,
        orgId: found.orgId,
        connectionId: found.connectionId,
        provider: PROVIDER,
        actor: { platformUserId: str(event.user, 50) ?? 'slack' },
        conversation: '',
        receivedAt,
        reply: { provider: PROVIDER, data: { team_id: teamId ?? '' } },
        // The workspace the worker unbinds, so another install (of any org) may bind it again.
        ...(teamId ? { installationId: teamId } : {}),
        request: { kind: 'uninstalled' },
      },
    ]);
  }

  if (type !== 'application/x-www-form-urlencoded') return { status: 415, body: 'unsupported content type' };
  const form = new URLSearchParams(request.body);
  const replyData = (
    responseUrl: string | undefined,
    channel: string,
    teamId: string,
    extra: Record<string, string> = {},
  ) => ({
    provider: PROVIDER,
    data: {
      ...(responseUrl && isSlackHookUrl(responseUrl, app.hooksUrl) ? { response_url: responseUrl } : {}),
      channel,
      team_id: teamId,
      ...extra,
    },
  });

  const payloadText = form.get('payload');
  if (payloadText !== null) {
    let payload: Json;
    try {
      payload = obj(JSON.parse(payloadText));
    } catch {
      return { status: 400, body: 'payload is not JSON' };
    }
    const teamId = str(obj(payload.team).id, 50) ?? str(obj(payload.user).team_id, 50);
    if (payload.type === 'block_suggestion') {
      // Options: the bot's commands that start with what was typed, a bounded list.
      const typed = (str(payload.value, 100) ?? '').toLowerCase();
      return json(200, {
        options: COMMANDS.filter((c) => c.startsWith(typed))
          .slice(0, 100)
          .map((c) => ({ text: { type: 'plain_text', text: c }, value: c })),
      });
    }
    const user = obj(payload.user);
    const actor: PlatformUser = {
      platformUserId: str(user.id, 50) ?? '',
      ...((str(user.username) ?? str(user.name)) ? { name: str(user.username) ?? str(user.name) ?? '' } : {}),
    };
    const channel = str(obj(payload.channel).id, 50) ?? str(obj(payload.container).channel_id, 50) ?? '';
    const triggerId = str(payload.trigger_id, 200);
    const responseUrl = str(payload.response_url, 1000);
    if (payload.type === 'block_actions') {
      const action = obj(Array.isArray(payload.actions) ? payload.actions[0] : undefined);
      const actionId = str(action.action_id, 255);
      // A link button's click opens the link: nothing to do.
      if (!actionId || actionId.startsWith('link:') || !triggerId || !actor.platformUserId) return ok();
      const found = await installation(teamId);
      if (!found) return ok();
      const message = obj(payload.message);
      const ts = str(message.ts, 50) ?? str(obj(payload.container).message_ts, 50);
      const threadTs = str(message.thread_ts, 50);
      return ok([
        {
          id: triggerId,
          orgId: found.orgId,
          connectionId: found.connectionId,
          installationId: found.installationId,
          provider: PROVIDER,
          actor,
          conversation: channel,
          receivedAt,
          reply: replyData(responseUrl, channel, teamId ?? '', ts ? { message_ts: ts } : {}),
          request: {
            kind: 'action',
            actionId,
            ...(ts && channel
              ? {
                  message: {
                    conversation: channel,
                    messageId: ts,
                    ...(threadTs ? { threadId: threadTs } : {}),
                  },
                }
              : {}),
          },
        },
      ]);
    }
    if (payload.type === 'message_action' || payload.type === 'shortcut') {
      const callbackId = str(payload.callback_id, 100);
      if (!callbackId || !triggerId || !actor.platformUserId) return ok();
      const found = await installation(teamId);
      if (!found) return ok();
      const quoted = str(obj(payload.message).text, MAX_TEXT);
      return ok([
        {
          id: triggerId,
          orgId: found.orgId,
          connectionId: found.connectionId,
          installationId: found.installationId,
          provider: PROVIDER,
          actor,
          conversation: channel,
          receivedAt,
          reply: replyData(responseUrl, channel, teamId ?? ''),
          request: { kind: 'command', text: `${callbackId}${quoted ? ` ${quoted}` : ''}`.slice(0, MAX_TEXT) },
        },
      ]);
    }
    return ok();
  }

  if (form.has('command')) {
    const teamId = str(form.get('team_id'), 50);
    const userId = str(form.get('user_id'), 50);
    const channel = str(form.get('channel_id'), 50) ?? '';
    const triggerId = str(form.get('trigger_id'), 200);
    const responseUrl = str(form.get('response_url'), 1000);
    if (!userId || !triggerId) return ephemeral('Slack sent an incomplete command.');
    if (!responseUrl || !isSlackHookUrl(responseUrl, app.hooksUrl))
      return ephemeral('Slack sent no place to answer.');
    const found = await installation(teamId);
    if (!found) return ephemeral(NOT_CONNECTED);
    const name = str(form.get('user_name'));
    return ephemeral('Working on it…', [
      {
        id: triggerId,
        orgId: found.orgId,
        connectionId: found.connectionId,
        installationId: found.installationId,
        provider: PROVIDER,
        actor: { platformUserId: userId, ...(name ? { name } : {}) },
        conversation: channel,
        receivedAt,
        reply: replyData(responseUrl, channel, teamId ?? ''),
        request: { kind: 'command', text: (form.get('text') ?? '').trim().slice(0, MAX_TEXT) },
      },
    ]);
  }
  return ok();
}
