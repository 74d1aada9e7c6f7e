import type { FetchFunction, WebAPICallResult, WebClient } from '@slack/web-api';
import type {
  ChatCard,
  ChatClient,
  ChatConnection,
  ChatPostOutcome,
  PlatformUser,
  PostedRef,
  ReplyChannel,
} from '../../chat/model';
import { egressRefusal } from '../../egress';
import {
  HubError,
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import { loadOnce } from '../load-once';
import type { ChatDeps } from '../provider-module';
import { renderSlackMessage } from './blocks';
import { retryAfterFor } from './rate-tiers';
import { SLACK_API, slackApp } from './settings';

const loadSdk = loadOnce(() => import('./sdk'));

/** `@slack/web-api`'s error codes (its `ErrorCode`), by value: mapping a failure loads nothing. */
const ErrorCode = {
  RequestError: 'slack_webapi_request_error',
  HTTPError: 'slack_webapi_http_error',
  PlatformError: 'slack_webapi_platform_error',
  RateLimitedError: 'slack_webapi_rate_limited_error',
} as const;

/** Slack's errors that mean the installation is gone: the token no longer works for anything. */
const GONE = new Set([
  'invalid_auth',
  'token_revoked',
  'account_inactive',
  'not_authed',
  'team_access_not_granted',
  'missing_scope',
]);
/** Slack's errors that mean this message can never go as it is. */
const REJECTED = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'too_many_attachments',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'restricted_action',
  'user_not_found',
  'users_not_found',
  'cannot_dm_bot',
]);

/** What went wrong calling a Web API method, in the notify system's terms; secret-free. */
export function slackFailure(method: string, error: unknown): Extract<ChatPostOutcome, { ok: false }> {
  const coded = error as {
    code?: string;
    data?: { error?: unknown };
    retryAfter?: number;
    statusCode?: number;
    original?: unknown;
  };
  if (coded.code === ErrorCode.RateLimitedError)
    return {
      ok: false,
      statusCode: 429,
      error: 'ratelimited',
      retryAfterSeconds: retryAfterFor(method, coded.retryAfter),
    };
  if (coded.code === ErrorCode.PlatformError) {
    const code =
      typeof coded.data?.error === 'string' && /^[a-z_.]{1,80}$/.test(coded.data.error)
        ? coded.data.error
        : 'error';
    if (code === 'ratelimited' || code === 'rate_limited')
      return { ok: false, statusCode: 200, error: code, retryAfterSeconds: retryAfterFor(method) };
    // The token ran out between the source's check and Slack's (clocks differ): the source renews it within its early minute.
    if (code === 'token_expired') return { ok: false, statusCode: 200, error: code, retryAfterSeconds: 60 };
    if (GONE.has(code)) return { ok: false, statusCode: 200, error: code, permanent: 'gone' };
    if (REJECTED.has(code)) return { ok: false, statusCode: 200, error: code, permanent: 'rejected' };
    return { ok: false, statusCode: 200, error: code };
  }
  if (coded.code === ErrorCode.HTTPError)
    return { ok: false, statusCode: coded.statusCode, error: `HTTP ${coded.statusCode}` };
  if (coded.code === ErrorCode.RequestError) {
    if (egressRefusal(coded.original))
      return { ok: false, error: 'refused by the egress guard', permanent: 'rejected' };
    return { ok: false, error: 'Slack did not answer' };
  }
  if (error instanceof ProviderRateLimitedError)
    return { ok: false, statusCode: 429, error: 'ratelimited', retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof ProviderAuthError)
    return { ok: false, error: error.message.slice(0, 200), permanent: 'gone' };
  if (egressRefusal(error)) return { ok: false, error: 'refused by the egress guard', permanent: 'rejected' };
  if (error instanceof HubError) return { ok: false, error: error.message.slice(0, 200) };
  return { ok: false, error: 'the call to Slack failed' };
}

/** A Slack user as the hub matches them: the email only when Slack says it was confirmed. */
function platformUser(user: Record<string, unknown> | undefined): PlatformUser | null {
  if (!user || typeof user.id !== 'string') return null;
  const profile = (user.profile ?? {}) as Record<string, unknown>;
  const name = [profile.real_name, profile.display_name, user.real_name, user.name].find(
    (n): n is string => typeof n === 'string' && n.length > 0,
  );
  const email =
    typeof profile.email === 'string' && user.is_email_confirmed === true ? profile.email : undefined;
  return {
    platformUserId: user.id,
    ...(name ? { name: name.slice(0, 200) } : {}),
    ...(email ? { verifiedEmail: email.toLowerCase() } : {}),
  };
}

/**
 * The Slack channel of the notify system and the bot's voice: the official Web API client
 * (`@slack/web-api`, whose `fetch` option sends every call through the egress guard), with its own
 * retries and rate-limit queue off (`rejectRateLimitedCalls`): a 429 becomes `retryAfterSeconds`
 * for the failure policy instead of a worker sleeping. Tokens come from the token source and are
 * never logged (the client's logger is silenced).
 */
export function makeSlackChatClient(deps: ChatDeps): ChatClient {
  const clients = new Map<string, WebClient>();
  const silent = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    setLevel() {},
    getLevel: () => 'error' as never,
    setName() {},
  };
  const clientFor = async (baseUrl: string) => {
    let client = clients.get(baseUrl);
    if (!client) {
      const { WebClient } = await loadSdk();
      client = new WebClient(undefined, {
        slackApiUrl: `${baseUrl.replace(/\/+$/, '')}/`,
        fetch: deps.fetch as unknown as FetchFunction,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        allowAbsoluteUrls: false,
        timeout: 10_000,
        logger: silent,
      });
      clients.set(baseUrl, client);
    }
    return client;
  };

  async function call(
    connection: ChatConnection,
    method: string,
    args: Record<string, unknown>,
  ): Promise<WebAPICallResult & Record<string, unknown>> {
    const found = await deps.connections.get(connection.orgId, connection.connectionId);
    if (found?.provider !== 'slack')
      throw new ValidationError(`No Slack connection ${connection.connectionId}`);
    if (found.status === 'disabled') throw new ProviderAuthError('The Slack connection is disabled');
    if (!deps.accessTokens) throw new ValidationError('No Slack token source here');
    const baseUrl = found.config.baseUrl ?? SLACK_API;
    const token = await deps.accessTokens.token(connection.orgId, connection.connectionId, baseUrl);
    return (await (await clientFor(baseUrl)).apiCall(method, { ...args, token })) as WebAPICallResult &
      Record<string, unknown>;
  }

  return {
    async post(connection, conversation, card, options = {}) {
      const message = renderSlackMessage(card);
      const method = options.update ? 'chat.update' : 'chat.postMessage';
      try {
        const args: Record<string, unknown> = options.update
          ? {
              channel: options.update.conversation,
              ts: options.update.messageId,
              text: message.text,
              blocks: message.blocks,
            }
          : {
              channel: conversation,
              text: message.text,
              blocks: message.blocks,
              unfurl_links: false,
              ...(options.threadOf
                ? { thread_ts: options.threadOf.threadId ?? options.threadOf.messageId }
                : {}),
            };
        const result = await call(connection, method, args);
        const channel = typeof result.channel === 'string' ? result.channel : conversation;
        const ts = typeof result.ts === 'string' ? result.ts : (options.update?.messageId ?? '');
        const threadId =
          options.update?.threadId ??
          (options.threadOf ? (options.threadOf.threadId ?? options.threadOf.messageId) : undefined);
        const ref: PostedRef = { conversation: channel, messageId: ts, ...(threadId ? { threadId } : {}) };
        return { ok: true, ref, statusCode: 200 };
      } catch (error) {
        return slackFailure(method, error);
      }
    },

    // The response_url itself carries the authority to answer: no token is sent with it.
    async respond(_connection, reply: ReplyChannel, card: ChatCard) {
      const url = reply.data.response_url;
      const app = await slackApp(deps.appSecret);
      if (!url || !isSlackHookUrl(url, app.hooksUrl))
        return { ok: false, error: 'no response_url of Slack', permanent: 'rejected' };
      const message = renderSlackMessage(card);
      try {
        const response = await deps.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            ...message,
            response_type: reply.data.response_type === 'in_channel' ? 'in_channel' : 'ephemeral',
            ...(reply.data.replace_original === 'true' ? { replace_original: true } : {}),
          }),
          redirect: 'error',
          signal: AbortSignal.timeout(10_000),
        });
        await response.text().catch(() => '');
        const ref: PostedRef = {
          conversation: reply.data.channel ?? '',
          messageId: reply.data.message_ts ?? '',
        };
        if (response.ok) return { ok: true, ref, statusCode: response.status };
        if (response.status === 429)
          return {
            ok: false,
            statusCode: 429,
            error: 'ratelimited',
            retryAfterSeconds: retryAfterFor('chat.postMessage', response.headers.get('retry-after')),
          };
        // A response_url lives 30 minutes and takes 5 answers: past that it is gone for this message.
        if (response.status === 404 || response.status === 410)
          return { ok: false, statusCode: response.status, error: 'expired_url', permanent: 'rejected' };
        return { ok: false, statusCode: response.status, error: `HTTP ${response.status}` };
      } catch (error) {
        return slackFailure('chat.postMessage', error);
      }
    },

    async lookupUser(connection, platformUserId) {
      try {
        const result = await call(connection, 'users.info', { user: platformUserId });
        return platformUser(result.user as Record<string, unknown> | undefined);
      } catch (error) {
        if ((error as { data?: { error?: string } }).data?.error === 'user_not_found') return null;
        throw asHubError('users.info', error);
      }
    },

    async userByEmail(connection, email) {
      try {
        const result = await call(connection, 'users.lookupByEmail', { email });
        return platformUser(result.user as Record<string, unknown> | undefined);
      } catch (error) {
        if ((error as { data?: { error?: string } }).data?.error === 'users_not_found') return null;
        throw asHubError('users.lookupByEmail', error);
      }
    },

    async directConversation(connection, platformUserId) {
      try {
        const result = await call(connection, 'conversations.open', {
          users: platformUserId,
          return_im: false,
        });
        const id = (result.channel as { id?: unknown } | undefined)?.id;
        if (typeof id !== 'string') throw new ValidationError('Slack opened no conversation');
        return id;
      } catch (error) {
        throw asHubError('conversations.open', error);
      }
    },
  };
}

/** A failure of a lookup as the hub's errors (the worker's failure policy maps them to retry or park). */
function asHubError(method: string, error: unknown): Error {
  if (error instanceof HubError) return error;
  const failure = slackFailure(method, error);
  if (failure.retryAfterSeconds !== undefined)
    return new ProviderRateLimitedError(`Slack ${method}: rate limited`, failure.retryAfterSeconds);
  if (failure.permanent === 'gone') return new ProviderAuthError(`Slack ${method}: ${failure.error}`);
  if (failure.permanent === 'rejected') return new ValidationError(`Slack ${method}: ${failure.error}`);
  return new ProviderUnavailableError(`Slack ${method}: ${failure.error}`);
}

/** True for a URL under the deployment's Slack hooks URL (`https://hooks.slack.com/`): nothing else gets an answer. */
export function isSlackHookUrl(url: string, hooksUrl: string): boolean {
  try {
    const given = new URL(url);
    const base = new URL(hooksUrl);
    return (
      given.origin === base.origin &&
      given.pathname.startsWith(base.pathname) &&
      !given.username &&
      !given.password
    );
  } catch {
    return false;
  }
}
