import type {
  ChatCard,
  ChatClient,
  ChatConnection,
  ChatPostOutcome,
  PlatformUser,
  PostedRef,
  ReplyChannel,
} from '../../chat/model';
import { urlOnHosts } from '../../egress/url-hosts';
import {
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import { UndecryptableSecretError } from '../../ports/secret-cipher';
import { CREDENTIALS_FOR_ANOTHER_SERVER, credentialsContext, credentialsServer } from '../manage-connections';
import type { ChatDeps } from '../provider-module';
import { adaptiveCard, cardAttachment } from './adaptive-card';
import type { BotTokens } from './connector';
import {
  ConversationResourceResponseSchema,
  callConnector,
  failureOf,
  MemberSchema,
  makeBotTokens,
  ResourceResponseSchema,
  unreachable,
} from './connector';
import { TEAMS_WORKFLOW_HOSTS, TeamsWorkflowWebhookCredentialsSchema } from './credentials';
import type { ConversationReference, TeamsReferences } from './references';
import { TEAMS, teamsReferences } from './references';
import type { TeamsBot } from './settings';
import { teamsBot } from './settings';

const WORKFLOW_TIMEOUT_MS = 10_000;
const AT_USE = { allowLoopback: true, allowedRanges: [] };

/** The bot's settings and token source, shared by the client and the app endpoint of one environment. */
export function teamsBotRuntime(deps: Pick<ChatDeps, 'fetch' | 'clock' | 'appSecret'>) {
  let settings: Promise<TeamsBot> | null = null;
  const bot = () => {
    settings ??= deps.appSecret().then(teamsBot);
    settings.catch(() => {
      settings = null;
    });
    return settings;
  };
  return { bot, tokens: makeBotTokens(deps, bot) };
}
export type TeamsBotRuntime = ReturnType<typeof teamsBotRuntime>;

/** Where a reference's activities are: `/v3/conversations/{id}/activities`. */
export const activitiesPath = (conversationId: string, activityId?: string) =>
  `/v3/conversations/${encodeURIComponent(conversationId)}/activities${activityId ? `/${encodeURIComponent(activityId)}` : ''}`;

/** The message activity of a card. */
export const cardMessage = (card: ChatCard, id?: string) => ({
  type: 'message',
  ...(id ? { id } : {}),
  summary: card.fallback.slice(0, 300),
  attachments: [cardAttachment(adaptiveCard(card))],
});

/**
 * Why Teams did not open a 1:1 chat, as the hub's error classes (the chat channel makes a delivery
 * outcome of them): a wait is retried, a refused bot marks the connection, a refusal of this chat
 * fails the delivery at once with a reason a person can act on, anything else is retried.
 */
function directFailure(outcome: ChatPostOutcome): Error {
  if (outcome.ok) return new ProviderUnavailableError('Teams did not open the 1:1 chat');
  if (outcome.statusCode === 429 || outcome.retryAfterSeconds)
    return new ProviderRateLimitedError(
      'Teams rate-limited opening a 1:1 chat',
      outcome.retryAfterSeconds ?? 1,
    );
  if (outcome.permanent === 'gone') return new ProviderAuthError(`Teams refused the bot (${outcome.error})`);
  if (outcome.permanent) {
    const why =
      outcome.statusCode === 403
        ? 'the user is not a member of the bound tenant'
        : outcome.statusCode === 400 || outcome.statusCode === 404
          ? 'Teams does not know the user'
          : outcome.error;
    return new ValidationError(`Teams refused a 1:1 chat with the user: ${why}`);
  }
  return new ProviderUnavailableError(`Teams did not open a 1:1 chat (${outcome.error})`);
}

/** The directory of references the client needs: providers that post proactively must be given one. */
export function referencesOf(deps: Pick<ChatDeps, 'conversations'>): TeamsReferences {
  if (!deps.conversations) throw new Error('The Teams provider needs the chat conversation directory');
  return teamsReferences(deps.conversations);
}

/**
 * Microsoft Teams as a notification channel and the bot's voice: proactive cards through the Bot
 * Connector (`POST {serviceUrl}/v3/conversations/{id}/activities`, updates in place with `PUT`,
 * thread replies, 1:1 chats created for `user:<aadObjectId>`), or plain posts to a Workflows
 * webhook. Conversations are the references stored when the bot was added (in the org's bound tenant).
 */
export function makeTeamsClient(
  deps: ChatDeps,
  runtime: TeamsBotRuntime = teamsBotRuntime(deps),
): ChatClient {
  const refs = referencesOf(deps);
  const connector = async (tokens: BotTokens) => ({
    fetch: deps.fetch,
    clock: deps.clock,
    tokens,
    bot: await runtime.bot(),
  });

  const tenantOfConnection = async (connection: ChatConnection) => {
    const stored = await deps.connections.get(connection.orgId, connection.connectionId);
    if (!stored || stored.provider !== TEAMS) return null;
    const summary = stored.credentials as { kind?: string; tenantId?: string } | null;
    const tenantId = connection.installationId ?? summary?.tenantId;
    // The bot speaks in a tenant only while it is bound to this very org and connection: nothing
    // goes to a tenant that was unbound, whatever references are left.
    const binding =
      summary?.kind === 'teams_bot' && tenantId ? await deps.installations.find(TEAMS, tenantId) : null;
    return {
      connection: stored,
      kind: summary?.kind,
      tenantId,
      bound: binding?.orgId === connection.orgId && binding.connectionId === connection.connectionId,
    };
  };
  const unbound = {
    ok: false as const,
    outcome: {
      ok: false as const,
      error: 'the tenant is not bound to this connection',
      permanent: 'rejected' as const,
    },
  };

  const workflowUrl = async (connection: ChatConnection) => {
    const found = await deps.connections.withCredentials(connection.orgId, connection.connectionId);
    if (!found?.encryptedCredentials) throw new ProviderAuthError('The Teams connection has no webhook URL');
    const context = credentialsContext(
      found.connection.orgId,
      found.connection.id,
      credentialsServer(found.connection),
    );
    const plain = await deps.cipher.decrypt(found.encryptedCredentials, context).catch((error: unknown) => {
      if (error instanceof UndecryptableSecretError)
        throw new ProviderAuthError(CREDENTIALS_FOR_ANOTHER_SERVER);
      throw error;
    });
    const parsed = TeamsWorkflowWebhookCredentialsSchema.safeParse(JSON.parse(plain));
    if (!parsed.success) throw new ValidationError('Not a Teams Workflows webhook connection');
    // Checked again at use: a URL stored before the host list was kept is never called. A loopback
    // address is left to the egress fetch, which refuses it wherever loopback is not allowed.
    if (!urlOnHosts(parsed.data.url, TEAMS_WORKFLOW_HOSTS, AT_USE))
      throw new ValidationError('The Workflows webhook URL is not on a Teams Workflows host');
    return parsed.data.url;
  };

  /** Posts to a Workflows webhook: it answers 202 with no id, so nothing can be updated in place. */
  const postToWorkflow = async (connection: ChatConnection, card: ChatCard): Promise<ChatPostOutcome> => {
    try {
      const url = await workflowUrl(connection);
      const response = await deps.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', attachments: [cardAttachment(adaptiveCard(card))] }),
        redirect: 'error',
        signal: AbortSignal.timeout(WORKFLOW_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok)
        return failureOf(response.status, response.headers.get('retry-after'), deps.clock.now());
      const at = deps.clock.now().getTime();
      return {
        ok: true,
        statusCode: response.status,
        ref: { conversation: 'workflow', messageId: `workflow:${at}` },
      };
    } catch (error) {
      if (error instanceof ProviderAuthError)
        return { ok: false, error: 'credentials unusable', permanent: 'gone' };
      if (error instanceof ValidationError)
        return { ok: false, error: 'webhook URL not on a Workflows host', permanent: 'gone' };
      return unreachable(error);
    }
  };

  /** A 1:1 chat of the bot with a person of the tenant, its reference kept. */
  const openDirect = async (orgId: string, tenantId: string, aadObjectId: string) => {
    const home = await refs.tenant(orgId, tenantId);
    if (!home)
      return {
        ok: false as const,
        outcome: {
          ok: false as const,
          error: 'bot not installed in the tenant',
          permanent: 'rejected' as const,
        },
      };
    const answer = await callConnector(
      await connector(runtime.tokens),
      home.serviceUrl,
      'POST',
      '/v3/conversations',
      {
        isGroup: false,
        bot: { id: home.botId },
        members: [{ id: aadObjectId }],
        tenantId,
        channelData: { tenant: { id: tenantId } },
      },
    );
    if (!answer.ok) {
      // A 403 to creating a chat refuses this member (another tenant, not in the roster), not the
      // bot: one person's DM never takes the whole connection down.
      if (!answer.outcome.ok && answer.outcome.statusCode === 403)
        return {
          ok: false as const,
          outcome: {
            ...answer.outcome,
            error: 'the user is not a member of the bound tenant',
            permanent: 'rejected' as const,
          },
        };
      return answer;
    }
    const created = ConversationResourceResponseSchema.safeParse(answer.body);
    if (!created.success)
      return {
        ok: false as const,
        outcome: { ok: false as const, statusCode: answer.status, error: 'no conversation id in the answer' },
      };
    const ref: ConversationReference = {
      conversationId: created.data.id,
      serviceUrl: home.serviceUrl,
      tenantId,
      botId: home.botId,
      conversationType: 'personal',
    };
    await refs.remember(orgId, ref, deps.clock.now());
    return { ok: true as const, ref };
  };

  const resolve = async (connection: ChatConnection, conversation: string) => {
    const found = await tenantOfConnection(connection);
    if (!found?.tenantId || found.kind !== 'teams_bot')
      return {
        ok: false as const,
        outcome: { ok: false as const, error: 'not a Teams bot connection', permanent: 'rejected' as const },
      };
    if (!found.bound) return unbound;
    const user = /^user:([0-9a-fA-F-]{36})$/.exec(conversation)?.[1];
    if (user) return openDirect(connection.orgId, found.tenantId, user);
    const ref = await refs.recall(connection.orgId, conversation);
    // A conversation of another tenant is no conversation of this connection.
    if (!ref || ref.tenantId !== found.tenantId)
      return {
        ok: false as const,
        outcome: { ok: false as const, error: 'conversation_not_found', permanent: 'rejected' as const },
      };
    return { ok: true as const, ref };
  };

  const send = async (
    ref: ConversationReference,
    card: ChatCard,
    options: { update?: PostedRef | undefined; threadOf?: PostedRef | undefined },
  ): Promise<ChatPostOutcome> => {
    const deps2 = await connector(runtime.tokens);
    if (options.update) {
      const answer = await callConnector(
        deps2,
        ref.serviceUrl,
        'PUT',
        activitiesPath(ref.conversationId, options.update.messageId),
        cardMessage(card, options.update.messageId),
      );
      if (!answer.ok) return answer.outcome;
      return { ok: true, statusCode: answer.status, ref: options.update };
    }
    const parent = options.threadOf ? (options.threadOf.threadId ?? options.threadOf.messageId) : undefined;
    const answer = await callConnector(
      deps2,
      ref.serviceUrl,
      'POST',
      activitiesPath(ref.conversationId, parent),
      cardMessage(card),
    );
    if (!answer.ok) return answer.outcome;
    const id = ResourceResponseSchema.parse(answer.body).id;
    if (!id) return { ok: false, statusCode: answer.status, error: 'no activity id in the answer' };
    return {
      ok: true,
      statusCode: answer.status,
      ref: { conversation: ref.conversationId, messageId: id, ...(parent ? { threadId: parent } : {}) },
    };
  };

  return {
    async post(connection, conversation, card, options = {}) {
      const found = await tenantOfConnection(connection);
      if (found?.kind === 'teams_workflow_webhook') return postToWorkflow(connection, card);
      const target = options.update?.conversation ?? options.threadOf?.conversation ?? conversation;
      const resolved = await resolve(connection, target);
      if (!resolved.ok) return resolved.outcome;
      return send(resolved.ref, card, options);
    },

    async respond(connection, reply: ReplyChannel, card) {
      const { serviceUrl, conversationId, activityId, tenantId } = reply.data;
      if (reply.provider !== TEAMS || !serviceUrl || !conversationId || !tenantId)
        return { ok: false, error: 'not a Teams reply channel', permanent: 'rejected' };
      const found = await tenantOfConnection(connection);
      if (!found || found.tenantId !== tenantId)
        return { ok: false, error: 'the reply belongs to another tenant', permanent: 'rejected' };
      if (!found.bound) return unbound.outcome;
      const ref: ConversationReference = {
        conversationId,
        serviceUrl,
        tenantId,
        botId: reply.data.botId ?? '',
      };
      return send(
        ref,
        card,
        activityId ? { threadOf: { conversation: conversationId, messageId: activityId } } : {},
      );
    },

    async lookupUser(connection, platformUserId): Promise<PlatformUser | null> {
      const found = await tenantOfConnection(connection);
      if (!found?.tenantId || found.kind !== 'teams_bot' || !found.bound) return null;
      const home = await refs.tenant(connection.orgId, found.tenantId);
      if (!home) return null;
      const answer = await callConnector(
        await connector(runtime.tokens),
        home.serviceUrl,
        'GET',
        `/v3/conversations/${encodeURIComponent(home.conversationId)}/members/${encodeURIComponent(platformUserId)}`,
      );
      if (!answer.ok) {
        const failed = answer.outcome as Extract<ChatPostOutcome, { ok: false }>;
        if (failed.statusCode === 404) return null;
        if (failed.retryAfterSeconds)
          throw new ProviderRateLimitedError('Teams rate-limited a member lookup', failed.retryAfterSeconds);
        if (failed.permanent === 'gone')
          throw new ProviderAuthError(`Teams refused the bot (${failed.error})`);
        throw new ProviderUnavailableError(`Teams did not answer a member lookup (${failed.error})`);
      }
      const member = MemberSchema.parse(answer.body);
      // No address is given as verified: a roster's `email` is Entra's `mail` attribute, which a
      // tenant admin sets to anything (verified or not), so matching on it would let them act as any
      // hub user. A Teams user is always linked through the bot's signed link.
      return {
        platformUserId: member.aadObjectId ?? member.id,
        ...(member.name ? { name: member.name } : {}),
      };
    },

    async directConversation(connection, platformUserId) {
      const found = await tenantOfConnection(connection);
      if (!found?.tenantId || found.kind !== 'teams_bot')
        throw new ValidationError('Not a Teams bot connection');
      if (!found.bound) throw new ValidationError('The tenant is not bound to this connection');
      const opened = await openDirect(connection.orgId, found.tenantId, platformUserId);
      if (!opened.ok) throw directFailure(opened.outcome);
      return opened.ref.conversationId;
    },
  };
}
