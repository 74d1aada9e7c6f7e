import { auditBySystem } from '../../audit/audit-record';
import type { AppReply, AppRequest, ChatCard, ChatWork, PlatformUser, ReplyChannel } from '../../chat/model';
import { UnauthenticatedError } from '../../errors';
import type { ChatDeps } from '../provider-module';
import type { Activity } from './activity';
import {
  ActivitySchema,
  CardActionInvokeSchema,
  ComposeExtensionSchema,
  commandText,
  membershipChange,
  tenantOf,
} from './activity';
import { makeChannelTokenVerifier } from './channel-token';
import type { TeamsBotRuntime } from './client';
import { activitiesPath, cardMessage, referencesOf, teamsBotRuntime } from './client';
import { callConnector } from './connector';
import { referenceOf, TEAMS } from './references';
import { serviceUrlAllowed } from './settings';

/** Bigger activities than this are refused unread (Teams' own message limit is about 28 KB). */
const BODY_LIMIT = 256 * 1024;
/** The longest the endpoint waits for a polite answer to go out (Teams waits 15 s for the bot). */
const TELL_MS = 3000;
const json = (status: number, body: unknown): AppReply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});
const OK: AppReply = { status: 200 };
/** Refusals say what went wrong in the Bot Framework's ErrorResponse shape, never what was sent. */
const refuse = (status: number, message: string) =>
  json(status, { error: { code: status === 401 ? 'Unauthorized' : 'BadRequest', message } });
/** The answer an invoke needs for Teams to show a message (Universal Actions' invoke response). */
const invokeMessage = (value: string) =>
  json(200, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value });

const CONNECT = /^connect\s+(con_[0-9A-Za-z]{1,64})$/i;

const notConnected = (tenantId: string): ChatCard => ({
  title: 'This Teams tenant is not connected to an Integration Hub organisation yet',
  text:
    `An admin of your hub organisation creates a Microsoft Teams connection with kind \`teams_bot\` and this tenant id: **${tenantId}**. ` +
    'Then anyone here sends me `connect <connectionId>` with that connection’s id.',
  fallback: 'This Teams tenant is not connected to an Integration Hub organisation yet.',
});

/**
 * The bot's messaging endpoint (`POST /msteams/events`): the Bot Framework channel's token is
 * verified before anything of the activity is read (401, nothing queued, otherwise); its
 * `serviceurl` claim must be the activity's `serviceUrl`, on the allow-list. Then by type: the bot
 * added to a conversation stores its reference (only in a tenant bound to an org); a message is a
 * command; an `Action.Execute` invoke an action (answered as Teams requires); a message extension
 * a command. A tenant bound to no org gets a polite card and nothing else, unless it sends
 * `connect <connectionId>` for a connection of kind `teams_bot` naming that very tenant.
 */
export function makeTeamsApp(deps: ChatDeps, runtime: TeamsBotRuntime = teamsBotRuntime(deps)) {
  const refs = referencesOf(deps);
  let verifier: ReturnType<typeof makeChannelTokenVerifier> | null = null;
  const verify = async (authorization: string | undefined) => {
    if (!verifier) {
      const bot = await runtime.bot();
      verifier = makeChannelTokenVerifier({
        fetch: deps.fetch,
        clock: deps.clock,
        metadataUrl: bot.openIdMetadataUrl,
        appId: bot.appId,
      });
    }
    return verifier(authorization);
  };

  /**
   * Answers in the conversation through the connector (only where a token may go): best effort,
   * and no longer than TELL_MS, so Teams gets its answer to the activity in time whatever happens.
   */
  const tell = async (activity: Activity, card: ChatCard) => {
    let timer: NodeJS.Timeout | undefined;
    const said = (async () => {
      const bot = await runtime.bot();
      await callConnector(
        { fetch: deps.fetch, clock: deps.clock, tokens: runtime.tokens, bot },
        activity.serviceUrl,
        'POST',
        activitiesPath(activity.conversation.id, activity.id),
        cardMessage(card),
      );
    })().catch(() => undefined);
    await Promise.race([said, new Promise((resolve) => (timer = setTimeout(resolve, TELL_MS)))]);
    clearTimeout(timer);
  };

  /** Binds the tenant to the org whose Teams connection names it, when the connection id is sent from there. */
  const connect = async (activity: Activity, tenantId: string, connectionId: string): Promise<AppReply> => {
    const route = await deps.connections.findWebhookRoute(connectionId);
    const connection =
      route && route.provider === TEAMS ? await deps.connections.get(route.orgId, connectionId) : null;
    const summary = connection?.credentials as { kind?: string; tenantId?: string } | null | undefined;
    if (connection?.status !== 'active' || summary?.kind !== 'teams_bot' || summary.tenantId !== tenantId) {
      await tell(activity, {
        title: 'No Teams connection for this tenant has that id',
        text: `The connection must be of kind \`teams_bot\` and name this tenant id: **${tenantId}**.`,
        fallback: 'No Teams connection for this tenant has that id.',
      });
      return OK;
    }
    const bound = await deps.installations.bind(TEAMS, tenantId, connection.orgId, connection.id);
    if (bound === 'taken') {
      await tell(activity, {
        title: 'This tenant is already connected to another hub organisation',
        fallback: 'This tenant is already connected to another hub organisation.',
      });
      return OK;
    }
    const at = deps.clock.now();
    await refs.remember(connection.orgId, referenceOf(activity, tenantId), at);
    await deps.audit.append(
      auditBySystem({
        action: 'chat.installation_bound',
        actor: 'hub-teams',
        orgId: connection.orgId,
        targets: [{ type: 'connection', id: connection.id }],
        requestId: activity.id ?? connection.id,
        at,
        after: { provider: TEAMS, installationId: tenantId },
      }),
    );
    return {
      ...OK,
      work: [
        work(activity, { orgId: connection.orgId, connectionId: connection.id }, at, {
          kind: 'installed',
          ...conversationName(activity),
        }),
      ],
    };
  };

  const conversationName = (activity: Activity) => {
    const name = referenceOf(activity, '').name;
    return name ? { conversationName: name.slice(0, 200) } : {};
  };
  const actorOf = (activity: Activity): PlatformUser => ({
    platformUserId: activity.from?.aadObjectId ?? activity.from?.id ?? 'unknown',
    ...(activity.from?.name ? { name: activity.from.name.slice(0, 200) } : {}),
  });
  const replyOf = (activity: Activity, tenantId: string): ReplyChannel => {
    // A click is answered in the thread of the card clicked; anything else under the activity itself.
    const under = activity.type === 'invoke' ? (activity.replyToId ?? activity.id) : activity.id;
    return {
      provider: TEAMS,
      data: {
        serviceUrl: activity.serviceUrl,
        conversationId: activity.conversation.id,
        tenantId,
        ...(under ? { activityId: under } : {}),
        ...(activity.recipient?.id ? { botId: activity.recipient.id } : {}),
      },
    };
  };
  const work = (
    activity: Activity,
    bound: { orgId: string; connectionId: string },
    at: Date,
    request: ChatWork['request'],
  ): ChatWork => ({
    id: activity.id ?? `${activity.conversation.id}:${at.getTime()}`,
    orgId: bound.orgId,
    connectionId: bound.connectionId,
    provider: TEAMS,
    actor: actorOf(activity),
    conversation: activity.conversation.id,
    receivedAt: at.toISOString(),
    reply: replyOf(activity, tenantOf(activity) ?? ''),
    request,
  });

  const onInvoke = (
    activity: Activity,
    bound: { orgId: string; connectionId: string } | null,
    at: Date,
  ): AppReply => {
    if (activity.name === 'adaptiveCard/action') {
      const parsed = CardActionInvokeSchema.safeParse(activity.value);
      const verb = parsed.success
        ? (parsed.data.action.verb ?? String(parsed.data.action.data?.action ?? ''))
        : '';
      if (!verb)
        return json(200, {
          statusCode: 400,
          type: 'application/vnd.microsoft.error',
          value: { code: 'BadRequest', message: 'The action has no verb' },
        });
      if (!bound)
        return invokeMessage('This Teams tenant is not connected to an Integration Hub organisation yet.');
      const message = activity.replyToId
        ? { message: { conversation: activity.conversation.id, messageId: activity.replyToId } }
        : {};
      return {
        ...invokeMessage('Got it — working on it.'),
        work: [work(activity, bound, at, { kind: 'action', actionId: verb.slice(0, 200), ...message })],
      };
    }
    if (activity.name === 'composeExtension/query' || activity.name === 'composeExtension/submitAction') {
      const parsed = ComposeExtensionSchema.safeParse(activity.value);
      const given = parsed.success
        ? activity.name === 'composeExtension/query'
          ? parsed.data.parameters?.find((p) => p.name !== 'initialRun')?.value
          : (parsed.data.data?.command ?? parsed.data.data?.text)
        : undefined;
      const text = typeof given === 'string' ? commandText(given) : '';
      const answer = (message: string) => json(200, { composeExtension: { type: 'message', text: message } });
      if (!bound) return answer('This Teams tenant is not connected to an Integration Hub organisation yet.');
      if (!text) return answer('Type a hub command, such as `status WEB-12` or `help`.');
      return {
        ...answer(`Running \`${text.slice(0, 100)}\`: the answer is posted in this conversation.`),
        work: [work(activity, bound, at, { kind: 'command', text })],
      };
    }
    return json(200, {});
  };

  return {
    async handle(request: AppRequest): Promise<AppReply> {
      if (request.inbound !== 'events') return refuse(404, 'Not found');
      if (request.method !== 'POST') return refuse(405, 'The messaging endpoint takes POST');
      if (Buffer.byteLength(request.body) > BODY_LIMIT) return refuse(413, 'The activity is too large');
      const header = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
      let serviceUrlClaim: string;
      try {
        serviceUrlClaim = (await verify(header)).serviceUrl;
      } catch (error) {
        if (error instanceof UnauthenticatedError) return refuse(401, error.message);
        throw error;
      }
      // Verified: now the activity may be read.
      let activity: Activity;
      try {
        const parsed = ActivitySchema.safeParse(JSON.parse(request.body));
        if (!parsed.success) return refuse(400, 'Not a Bot Framework activity');
        activity = parsed.data;
      } catch {
        return refuse(400, 'The body is not JSON');
      }
      if (activity.serviceUrl !== serviceUrlClaim)
        return refuse(401, "The token's serviceurl claim is not the activity's");
      const bot = await runtime.bot();
      // The bot's token is only ever sent to a service URL on the allow-list.
      if (!serviceUrlAllowed(bot, activity.serviceUrl))
        return refuse(403, 'The service URL is not one the hub answers');
      if (activity.channelId !== 'msteams') return OK;
      const tenantId = tenantOf(activity);
      if (!tenantId) return refuse(400, 'The activity names no tenant');
      const at = request.receivedAt;
      const bound = await deps.installations.find(TEAMS, tenantId);

      if (activity.type === 'invoke') return onInvoke(activity, bound, at);
      const change = membershipChange(activity);
      if (change === 'added') {
        if (!bound) {
          await tell(activity, notConnected(tenantId));
          return OK;
        }
        await refs.remember(bound.orgId, referenceOf(activity, tenantId), at);
        return {
          ...OK,
          work: [work(activity, bound, at, { kind: 'installed', ...conversationName(activity) })],
        };
      }
      if (change === 'removed') {
        if (bound) await refs.forget(bound.orgId, activity.conversation.id);
        return OK;
      }
      if (activity.type === 'message') {
        const text = commandText(activity.text ?? '');
        if (!text) return OK;
        const claim = CONNECT.exec(text)?.[1];
        if (!bound) {
          if (claim) return connect(activity, tenantId, claim);
          await tell(activity, notConnected(tenantId));
          return OK;
        }
        if (claim) {
          await tell(activity, {
            title: 'This tenant is already connected to a hub organisation',
            fallback: 'Already connected.',
          });
          return OK;
        }
        return { ...OK, work: [work(activity, bound, at, { kind: 'command', text })] };
      }
      return OK;
    },
  };
}
