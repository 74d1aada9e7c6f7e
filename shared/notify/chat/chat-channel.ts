import type { ChatCard, ChatClient, ChatConnection, ChatPostOutcome, PostedRef } from '../../chat/model';
import type { Connection } from '../../connectors/connection';
import { egressRefusal } from '../../egress';
import {
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { ConnectionStore, UserStore } from '../../ports/stores';
import { TtlCache } from '../../ttl-cache';
import type { DeliveryChannel, Readiness } from '../delivery/ports';
import type { NotificationPreferenceStore } from '../email/ports';
import { chatDecision, DEFAULT_PREFERENCES } from '../email/preferences';
import type { DeliveryMessage, NotificationChannel, RenderedMessage, SendOutcome } from '../model';
import type { ProviderNames } from '../render/describe-event';
import type { ChatRenderers } from './chat-card';
import { isNotable, itemKeyOf, rendererFor, replyCard } from './chat-card';
import type { ChatTarget } from './chat-recipients';
import { userOfConversation } from './chat-recipients';
import type { DmFailureNotices } from './dm-failure-notices';
import type { ChatIdentities, PostedRefKey, PostedRefStore } from './ports';

type ChatMessage = DeliveryMessage & { readonly target: ChatTarget };

/**
 * Retries for chat, after the first attempt made at once: 5 s, 30 s, 5 min, 30 min, 2 h. Shorter
 * than webhooks': a chat message hours late is noise, and platforms throttle for seconds.
 */
export const CHAT_RETRY_SCHEDULE: readonly number[] = [5, 30, 300, 1_800, 7_200];
/**
 * The platforms' guidance — Slack: one message a second per channel, short bursts allowed; Teams:
 * a few a second per conversation — kept on average over a few seconds, so events a second apart
 * are never held for a window by their jitter, and a longer burst is spread, not refused.
 */
export const CHAT_MESSAGES_PER_CONVERSATION_PER_SECOND = 1;
/** The window that average is kept over: a burst of up to this many goes out at once. */
export const CHAT_RATE_WINDOW_SECONDS = 3;
/** How long a first post's claim holds: an attempt that died gives it up after this. */
export const FIRST_POST_LEASE_MS = 30_000;
/** How long a card stays the one an item's events update, after its last event. */
export const POSTED_CARD_TTL_DAYS = 30;
/** How soon an attempt that found another posting the item's first card comes back. */
export const BUSY_RETRY_SECONDS = 2;

export interface ChatRendererDeps {
  readonly providerNames?: ProviderNames;
  /** Renderers by event-type prefix (the approvals' card for `approval.`); the rest get `chatCard`. */
  readonly renderers?: ChatRenderers;
}

/** Renders an event's card for a chat target: the rule test shows its JSON. */
export function makeChatRenderer(
  deps: ChatRendererDeps,
): Pick<NotificationChannel<ChatTarget>, 'render'> & { card(event: CanonicalEvent): ChatCard } {
  const card = (event: CanonicalEvent) => rendererFor(deps.renderers, event.type, deps.providerNames)(event);
  return {
    card,
    async render(event): Promise<RenderedMessage> {
      const rendered = card(event);
      return {
        channel: 'chat',
        title: rendered.title,
        contentType: 'application/json',
        body: JSON.stringify(rendered),
      };
    },
  };
}

export interface ChatChannelDeps extends ChatRendererDeps {
  /** Each chat provider's client, by provider id, built once per execution environment. */
  readonly clients: Readonly<Record<string, ChatClient>>;
  readonly refs: PostedRefStore;
  readonly connections: Pick<ConnectionStore, 'get'>;
  /** Who a hub user is on the platform (the bot's identity links); without it, DMs are dropped. */
  readonly identities?: ChatIdentities;
  /** Read again before each DM (a retry, a resend): a user who left or turned chat off gets nothing more. */
  readonly users?: Pick<UserStore, 'get'>;
  readonly preferences?: Pick<NotificationPreferenceStore, 'getMany'>;
  /** Marks a connection whose app was removed or token revoked (`gone`), as a webhook endpoint's 410 disables it. */
  markNeedsAttention(orgId: string, connectionId: string, reason: string): Promise<void>;
  /** Tells whoever asked for a DM the platform refused to open (once per destination a day). */
  readonly dmFailures?: DmFailureNotices;
  readonly clock: Clock;
}

/** A client's failure that escaped it, as a short secret-free reason (never its message). */
function thrown(error: unknown): string {
  const refused = egressRefusal(error);
  if (refused) return `refused by the egress guard: ${refused.message}`;
  const name = (error as { name?: string } | undefined)?.name;
  return `the chat client failed${name ? ` (${name})` : ''}`.slice(0, 200);
}

/** A DM that could not be opened, by the hub's error classes (a client's lookups throw them). */
function dmFailure(error: unknown): SendOutcome {
  const failed = { ok: false as const, durationMs: 0 };
  if (error instanceof ProviderRateLimitedError)
    return {
      ...failed,
      error: 'could not open the DM: rate limited',
      retryAfterSeconds: error.retryAfterSeconds,
    };
  if (error instanceof ProviderAuthError)
    return { ...failed, error: 'could not open the DM: the platform refused the app', permanent: 'gone' };
  // The clients' own messages (never a platform's body or a secret) say why, for whoever reads the delivery.
  if (error instanceof ValidationError)
    return {
      ...failed,
      error: `could not open the DM: ${error.message}`.slice(0, 300),
      permanent: 'rejected',
    };
  if (error instanceof ProviderUnavailableError)
    return { ...failed, error: `could not open the DM: ${error.message}`.slice(0, 300) };
  return { ...failed, error: `could not open the DM: ${thrown(error)}` };
}

const outcomeOf = (post: ChatPostOutcome, started: number, what: string): SendOutcome =>
  post.ok
    ? {
        ok: true,
        durationMs: Date.now() - started,
        responseExcerpt: `${what} ${post.ref.messageId}`,
        ...(post.statusCode !== undefined ? { statusCode: post.statusCode } : {}),
      }
    : {
        ok: false,
        durationMs: Date.now() - started,
        error: post.error,
        ...(post.statusCode !== undefined ? { statusCode: post.statusCode } : {}),
        ...(post.retryAfterSeconds !== undefined ? { retryAfterSeconds: post.retryAfterSeconds } : {}),
        ...(post.permanent ? { permanent: post.permanent } : {}),
      };

/**
 * The chat channel of the notify system, for every chat provider: renders an event as a neutral
 * card and posts it through the target's provider client. One card per item and conversation:
 * the item's first event posts it (claimed first, so concurrent first events post one), later
 * events update it in place, and notable ones (a merge, an item done) also reply in its thread.
 */
export function makeChatChannel(deps: ChatChannelDeps): DeliveryChannel<ChatTarget> {
  const renderer = makeChatRenderer(deps);
  // Reads shared while in flight and reused briefly, as the webhook channel's endpoint reads.
  const connections = new TtlCache<Promise<Connection | null>>(2_000, 2_000);
  const connectionOf = (orgId: string, connectionId: string) => {
    const key = `${orgId}#${connectionId}`;
    let read = connections.get(key);
    if (!read) {
      read = deps.connections.get(orgId, connectionId);
      read.catch(() => connections.delete(key));
      connections.set(key, read);
    }
    return read;
  };
  // A user's DM conversation, once opened: the platform answers the same one every time.
  const dms = new TtlCache<string>(600_000, 5_000);

  /** The DM of the user a `user:<id>` conversation names, or why there is none. */
  const platformUser = async (
    message: ChatMessage,
    userId: string,
  ): Promise<{ readonly drop: string } | { readonly platformUserId: string }> => {
    if (!deps.identities) return { drop: 'no chat identity links are available to find the user' };
    const platformUserId = await deps.identities.platformUserOf(
      message.orgId,
      message.target.provider,
      userId,
    );
    if (!platformUserId)
      return {
        drop: `the user has not linked their ${message.target.provider} identity to the hub (they can through the bot)`,
      };
    return { platformUserId };
  };

  /** The conversation to post in: the target's, or the user's DM (opened through the platform). */
  const conversationOf = async (
    message: ChatMessage,
    client: ChatClient,
    connection: ChatConnection,
    event: CanonicalEvent,
  ): Promise<{ conversation: string } | { fail: SendOutcome }> => {
    const userId = userOfConversation(message.target.conversation);
    if (!userId) return { conversation: message.target.conversation };
    const found = await platformUser(message, userId);
    if ('drop' in found)
      return { fail: { ok: false, durationMs: 0, error: found.drop, permanent: 'rejected' } };
    const key = `${message.orgId}#${message.target.connectionId}#${found.platformUserId}`;
    const known = dms.get(key);
    if (known) return { conversation: known };
    if (!client.directConversation)
      return {
        fail: {
          ok: false,
          durationMs: 0,
          error: 'the provider cannot send direct messages',
          permanent: 'rejected',
        },
      };
    try {
      return {
        conversation: dms.set(key, await client.directConversation(connection, found.platformUserId)),
      };
    } catch (error) {
      const fail = dmFailure(error);
      // Refused for good (not a wait, not the app gone): whoever asked for it should know.
      if (!fail.ok && fail.permanent === 'rejected')
        await deps.dmFailures?.notice({
          orgId: message.orgId,
          target: message.target,
          reason: fail.error,
          event,
        });
      return { fail };
    }
  };

  const post = async (
    client: ChatClient,
    connection: ChatConnection,
    conversation: string,
    card: ChatCard,
    options?: { readonly update?: PostedRef; readonly threadOf?: PostedRef },
  ): Promise<ChatPostOutcome> => {
    try {
      return await client.post(connection, conversation, card, options);
    } catch (error) {
      return { ok: false, error: thrown(error) };
    }
  };

  /** The item already has a card here: update it (unless it shows a later event), reply when notable. */
  const updateCard = async (
    client: ChatClient,
    connection: ChatConnection,
    key: PostedRefKey,
    posted: { readonly ref: PostedRef; readonly shownEventAt: string },
    card: ChatCard,
    event: CanonicalEvent,
    started: number,
  ): Promise<SendOutcome> => {
    let outcome: SendOutcome;
    let ref = posted.ref;
    if (event.occurredAt >= posted.shownEventAt) {
      const updated = await post(client, connection, ref.conversation, card, { update: ref });
      if (!updated.ok && updated.permanent === 'rejected') {
        // The card was deleted in the platform: the item starts a new one.
        const fresh = await post(client, connection, ref.conversation, card);
        if (fresh.ok) await deps.refs.record(key, fresh.ref, event.occurredAt, POSTED_CARD_TTL_DAYS);
        return outcomeOf(fresh, started, 'posted');
      }
      if (!updated.ok) return outcomeOf(updated, started, 'updated');
      ref = { ...ref, messageId: updated.ref.messageId || ref.messageId };
      await deps.refs.noteShown(key, event.occurredAt, POSTED_CARD_TTL_DAYS);
      outcome = outcomeOf(updated, started, 'updated');
    } else {
      outcome = {
        ok: true,
        durationMs: Date.now() - started,
        responseExcerpt: 'the card shows a later event',
      };
    }
    if (!isNotable(event)) return outcome;
    const reply = await post(client, connection, ref.conversation, replyCard(card), { threadOf: ref });
    return reply.ok ? outcome : outcomeOf(reply, started, 'replied');
  };

  return {
    channel: 'chat',
    retrySchedule: CHAT_RETRY_SCHEDULE,
    render: renderer.render,

    async readiness(message): Promise<Readiness> {
      const { orgId, target } = message;
      const connection = await connectionOf(orgId, target.connectionId);
      if (!connection) return { kind: 'drop', reason: 'the chat connection was deleted' };
      if (connection.status !== 'active')
        return {
          kind: 'drop',
          reason: `the chat connection is ${connection.status.replace('_', ' ')}${connection.lastError ? ` (${connection.lastError.message})` : ''}`,
        };
      if (!deps.clients[target.provider])
        return { kind: 'drop', reason: `no ${target.provider} chat client is available` };
      const userId = userOfConversation(target.conversation);
      if (userId) {
        if (deps.users && deps.preferences) {
          const [user, prefs] = await Promise.all([
            deps.users.get(orgId, userId),
            deps.preferences.getMany(orgId, [userId]),
          ]);
          if (user?.status !== 'active')
            return { kind: 'drop', reason: 'the user is no longer an active user' };
          if (
            chatDecision(prefs.get(userId) ?? DEFAULT_PREFERENCES, message.eventType, deps.clock.now()) !==
            'now'
          )
            return { kind: 'drop', reason: "the user's preferences no longer take this by chat" };
        }
        const found = await platformUser(message, userId);
        if ('drop' in found) return { kind: 'drop', reason: found.drop };
      }
      return {
        kind: 'ready',
        rateLimit: {
          key: `chat:${target.connectionId}:${target.conversation}`,
          perSecond: CHAT_MESSAGES_PER_CONVERSATION_PER_SECOND,
          windowSeconds: CHAT_RATE_WINDOW_SECONDS,
        },
      };
    },

    async send(message, event): Promise<SendOutcome> {
      const started = Date.now();
      const { orgId, target } = message;
      const client = deps.clients[target.provider];
      if (!client)
        return {
          ok: false,
          durationMs: 0,
          error: `no ${target.provider} chat client`,
          permanent: 'rejected',
        };
      const connection: ChatConnection = { orgId, connectionId: target.connectionId };
      const where = await conversationOf(message, client, connection, event);
      if ('fail' in where) return where.fail;
      const card = renderer.card(event);
      const threadKey = itemKeyOf(event);
      if (threadKey === null)
        return outcomeOf(await post(client, connection, where.conversation, card), started, 'posted');

      const key: PostedRefKey = {
        orgId,
        connectionId: target.connectionId,
        conversation: target.conversation,
        threadKey,
      };
      const known = await deps.refs.find(key);
      if (known?.kind === 'posted') return updateCard(client, connection, key, known, card, event, started);
      const busy: SendOutcome = {
        ok: false,
        durationMs: Date.now() - started,
        error: 'the first card of this item is being posted by another delivery',
        retryAfterSeconds: BUSY_RETRY_SECONDS,
      };
      const now = deps.clock.now();
      if (known?.kind === 'posting' && Date.parse(known.until) > now.getTime()) return busy;
      if (!(await deps.refs.claim(key, message.id, now, FIRST_POST_LEASE_MS))) {
        // Another attempt came first: update its card if it is there, else come back shortly.
        const other = await deps.refs.find(key);
        return other?.kind === 'posted'
          ? updateCard(client, connection, key, other, card, event, started)
          : busy;
      }
      const first = await post(client, connection, where.conversation, card);
      if (!first.ok) {
        await deps.refs.release(key, message.id);
        return outcomeOf(first, started, 'posted');
      }
      await deps.refs.record(key, first.ref, event.occurredAt, POSTED_CARD_TTL_DAYS);
      return outcomeOf(first, started, 'posted');
    },

    async observe(message, outcome) {
      if (outcome.ok || outcome.permanent !== 'gone') return;
      const { orgId, target } = message;
      connections.delete(`${orgId}#${target.connectionId}`);
      logger.warn('A chat connection is gone: marking it as needing attention', {
        tenantId: orgId,
        connectionId: target.connectionId,
        provider: target.provider,
      });
      await deps.markNeedsAttention(
        orgId,
        target.connectionId,
        `${target.provider} refused the hub's app (${outcome.error}): install the app again`,
      );
    },
  };
}
