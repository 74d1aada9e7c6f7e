import type { CanonicalEvent } from '../events/canonical-event';

/**
 * The chat seams (issue 13), shared by the chat providers (Slack, Teams — each one folder under
 * `shared/connectors/<id>/`) and the generic parts that drive them:
 *
 *   platform ─► POST /{provider}/{inbound} ─► the provider's app part: verify before reading,
 *            answer handshakes, acknowledge at once ─► ChatWork on the `chat` queue
 *            ─► chat worker: who is asking (identity links, verified email) ─► bot command or
 *               approval answer, run as that hub user through the API's use cases ─► reply
 *
 *   notify ─► a `chat` delivery target ─► the chat channel: render the event as a ChatCard,
 *            post it, or update the card already posted for that item (threads group an item)
 *
 * Nothing generic names a provider: the chat parts come from the provider modules' `chat` part.
 */

/** A platform-neutral message: each provider renders it (Block Kit, an Adaptive Card). */
export interface ChatCard {
  /** Plain text, one line: the notification's subject. */
  readonly title: string;
  /** Where the title links to (the work item, the pull request). */
  readonly titleUrl?: string;
  /**
   * The body in a small Markdown subset every platform renders: `**bold**`, `_italic_`,
   * `` `code` ``, `[label](https://…)`, `- ` lists, line breaks. No HTML.
   */
  readonly text?: string;
  /** Label/value pairs (status, assignee, branch…), at most 10. */
  readonly fields?: readonly { readonly label: string; readonly value: string }[];
  /** Small print under the card (the provider, the time, who decided). */
  readonly context?: string;
  /** Buttons, at most 5: an `id` the platform sends back on a click, or a link. */
  readonly actions?: readonly ChatAction[];
  /** How the card is accented. */
  readonly tone?: 'neutral' | 'good' | 'warning' | 'danger';
  /** The text a notification or a screen reader shows where the card cannot be (≤ 300 chars). */
  readonly fallback: string;
}

export type ChatAction =
  | {
      readonly kind: 'button';
      /** Comes back in the platform's callback: `approval:<id>:<option>`, `bot:<command>`… (≤ 200 chars). */
      readonly id: string;
      readonly label: string;
      readonly style?: 'primary' | 'danger';
    }
  | { readonly kind: 'link'; readonly label: string; readonly url: string };

/** Where in a platform a message went, as the platform names it: kept to update or thread on it. */
export interface PostedRef {
  /** The channel, chat or DM (Slack `C…`/`D…`; Teams a conversation id). */
  readonly conversation: string;
  /** The message's own id (Slack `ts`; Teams activity id). */
  readonly messageId: string;
  /** The thread it sits in, when it is a reply (Slack `thread_ts`). */
  readonly threadId?: string;
}

/** How posting went, in the notify system's terms (a `SendOutcome` is made from it). */
export type ChatPostOutcome =
  | { readonly ok: true; readonly ref: PostedRef; readonly statusCode?: number }
  | {
      readonly ok: false;
      readonly statusCode?: number;
      /** Short and secret-free: `ratelimited`, `channel_not_found`, `HTTP 500`, `refused by the egress guard`. */
      readonly error: string;
      /** The platform asked for a wait (`Retry-After`). */
      readonly retryAfterSeconds?: number;
      /** `gone`: the app was removed or the token revoked (the connection needs attention); `rejected`: this message can never go. */
      readonly permanent?: 'gone' | 'rejected';
    };

/** The connection a chat call is made for. Tokens come from the provider's token source. */
export interface ChatConnection {
  readonly orgId: string;
  readonly connectionId: string;
  /** The platform's installation the connection is bound to (Slack team id, Teams tenant id). */
  readonly installationId?: string;
}

/** A person as the platform knows them, for matching to a hub user. */
export interface PlatformUser {
  readonly platformUserId: string;
  readonly name?: string;
  /** Only when the platform says the address is verified (Slack's `users.lookupByEmail`/`users.info`). */
  readonly verifiedEmail?: string;
}

/** What a chat provider can do in a conversation; built once per execution environment. */
export interface ChatClient {
  /** Posts a card, or replaces `update`'s card, or replies in the thread of `threadOf`. */
  post(
    connection: ChatConnection,
    conversation: string,
    card: ChatCard,
    options?: { readonly update?: PostedRef; readonly threadOf?: PostedRef },
  ): Promise<ChatPostOutcome>;
  /** Answers an interaction through what the platform handed with it (Slack `response_url`; Teams the invoke's conversation). */
  respond(connection: ChatConnection, reply: ReplyChannel, card: ChatCard): Promise<ChatPostOutcome>;
  /** Who a platform user is (with a verified email when the platform gives one); null when unknown. */
  lookupUser(connection: ChatConnection, platformUserId: string): Promise<PlatformUser | null>;
  /** The platform user with this verified email, for matching a hub user (Slack `users.lookupByEmail`); null when none. */
  userByEmail?(connection: ChatConnection, email: string): Promise<PlatformUser | null>;
  /** The conversation id of a direct message with the user (Slack `conversations.open`). */
  directConversation?(connection: ChatConnection, platformUserId: string): Promise<string>;
}

/** Where to answer an inbound request: opaque to the generic layers, read back by the provider. */
export interface ReplyChannel {
  readonly provider: string;
  /** Provider-specific, JSON-serialisable, bounded (Slack: `response_url`; Teams: service URL + conversation + activity id). */
  readonly data: Readonly<Record<string, string>>;
}

/**
 * One piece of chat work, queued by the app endpoint after verifying and acknowledging the
 * request: the chat worker runs it as the matched hub user, never before verification.
 */
export interface ChatWork {
  /** The platform's id of the request (`event_id`, the activity id): one piece of work per id. */
  readonly id: string;
  readonly orgId: string;
  readonly connectionId: string;
  readonly provider: string;
  /** The platform's installation it came through (Slack team id, Teams tenant id), when known. */
  readonly installationId?: string;
  readonly actor: PlatformUser;
  readonly conversation: string;
  readonly receivedAt: string;
  readonly reply: ReplyChannel;
  readonly request:
    | { readonly kind: 'command'; readonly text: string }
    | { readonly kind: 'action'; readonly actionId: string; readonly message?: PostedRef }
    | { readonly kind: 'installed'; readonly conversationName?: string }
    | { readonly kind: 'uninstalled' };
}

/**
 * The app endpoint's routes under `/{provider}/`, the same for every platform: `install` and
 * `oauth/callback` (GET: the OAuth install flow), `events` (POST: everything the platform sends —
 * Slack's Events API, slash commands, interactivity and options; Teams' bot messaging endpoint).
 */
export const CHAT_INBOUND = ['install', 'oauth/callback', 'events'] as const;
export type ChatInbound = (typeof CHAT_INBOUND)[number];

/** What a chat provider's app endpoint makes of one inbound HTTP request. */
export interface AppRequest {
  readonly method: 'GET' | 'POST';
  /** The path after `/{provider}/`: one of the routes its `ChatPart.inbound` lists. */
  readonly inbound: ChatInbound;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: string;
  readonly receivedAt: Date;
}

/** A request's header whatever its case (the app endpoint hands them as received). */
export const headerOf = (headers: Readonly<Record<string, string>>, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
};

export interface AppReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** `Set-Cookie` values, one each (API Gateway's `cookies`: a header map holds only one). */
  readonly cookies?: readonly string[];
  readonly body?: string;
  /** Work to queue before answering (nothing is read from the request before it was verified). */
  readonly work?: readonly ChatWork[];
}

/** Which org and connection an installation (Slack team, Teams tenant) is bound to: exactly one. */
export interface InstallationDirectory {
  bind(
    provider: string,
    installationId: string,
    orgId: string,
    connectionId: string,
  ): Promise<'bound' | 'taken'>;
  find(provider: string, installationId: string): Promise<{ orgId: string; connectionId: string } | null>;
  unbind(provider: string, installationId: string): Promise<void>;
}

/** The neutral render of a canonical event for chat (one template for every platform). */
export type ChatRenderer = (event: CanonicalEvent) => ChatCard;

/** A chat destination of a notification rule: a conversation on one of the org's chat connections. */
export interface ChatDestinationRef {
  readonly connectionId: string;
  /** A channel or chat id; or `user:<hub user id>` for that user's DM. */
  readonly conversation: string;
}

/**
 * A conversation a chat provider was added to, as it must remember it to post there later (a Teams
 * conversation reference: service URL, tenant, bot): kept per org, bounded, never a secret.
 */
export interface StoredConversation {
  /** The platform's conversation id, or a provider-defined key (`tenant:<id>`). */
  readonly id: string;
  /** The installation (Slack team, Teams tenant) it belongs to. */
  readonly installationId: string;
  readonly name?: string;
  /** Provider-specific, at most 20 entries of at most 1,000 characters. */
  readonly data: Readonly<Record<string, string>>;
  readonly updatedAt: string;
}

/** Where chat providers keep the conversations they were added to, per org and provider. */
export interface ConversationDirectory {
  remember(orgId: string, provider: string, conversation: StoredConversation): Promise<void>;
  recall(orgId: string, provider: string, conversationId: string): Promise<StoredConversation | null>;
  forget(orgId: string, provider: string, conversationId: string): Promise<void>;
  /**
   * Forgets every conversation of an installation in the org (the provider's own keys, such as a
   * tenant's record, too): an unbound installation keeps no reference to post to. Returns how many.
   */
  forgetInstallation(orgId: string, provider: string, installationId: string): Promise<number>;
}
