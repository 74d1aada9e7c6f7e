import { auditBySystem } from '../../audit/audit-record';
import { BIND_CODE, bindCodeHash } from '../../chat/bind-codes';
import {
  type AppReply,
  type AppRequest,
  type ChatCard,
  type ChatWork,
  headerOf,
  type PlatformUser,
  type ReplyChannel,
} from '../../chat/model';
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
import type { EntraSignIn } from './entra';
import { entraOpenIdClient } from './entra';
import { referenceOf, TEAMS } from './references';
import { serviceUrlAllowed } from './settings';
import type { PendingBinding } from './tenant-confirmation';
import {
  CONFIRM_TTL_MS,
  handleConfirmCallback,
  handleConfirmPage,
  handleConfirmStart,
  startTenantConfirmation,
} from './tenant-confirmation';

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

/** `connect …`, whatever follows: answered here and never queued, since what follows may be a bind code. */
const CONNECT = /^connect(?:\s|$)/i;

const notConnected = (tenantId: string): ChatCard => ({
  title: 'This Teams tenant is not connected to an Integration Hub organisation yet',
  text:
    `An admin of your hub organisation makes a one-time bind code for its Microsoft Teams connection (kind \`teams_bot\`, this tenant id: **${tenantId}**), ` +
    'for example with `hub chat-installs bind-code <orgId> <connectionId>`. Then send me `connect <code>` (it works once, for minutes), and a Microsoft admin of this tenant confirms with the link I answer.',
  fallback: 'This Teams tenant is not connected to an Integration Hub organisation yet.',
});
const codeRefused: ChatCard = {
  title: 'That bind code cannot connect this tenant',
  text: 'It is unknown, used already, expired, or for another tenant. Ask an admin of your hub organisation for a new one.',
  tone: 'warning',
  fallback: 'That bind code cannot connect this tenant: ask an admin of your hub organisation for a new one.',
};
const alreadyConnected: ChatCard = {
  title: 'This tenant is already connected to a hub organisation',
  fallback: 'This tenant is already connected to a hub organisation.',
};

/**
 * The bot's messaging endpoint (`POST /msteams/events`): the Bot Framework channel's token is
 * verified before anything of the activity is read (401, nothing queued, otherwise); its
 * `serviceurl` claim must be the activity's `serviceUrl`, on the allow-list. Then by type: the bot
 * added to a conversation stores its reference (only in a tenant bound to an org); a message is a
 * command; an `Action.Execute` invoke an action (answered as Teams requires); a message extension
 * a command. A tenant bound to no org gets a polite card and nothing else, unless it sends
 * `connect <code>` with a one-time bind code an org admin made for a `teams_bot` connection naming
 * that very tenant: the binding is then pending until a Microsoft admin of the tenant confirms
 * (`GET /msteams/install` → Entra → `GET /msteams/oauth/callback`, see `tenant-confirmation.ts`).
 * A `connect …` is always answered here, never queued nor logged.
 */
export function makeTeamsApp(
  deps: ChatDeps,
  runtime: TeamsBotRuntime = teamsBotRuntime(deps),
  entra: EntraSignIn = entraOpenIdClient(deps.fetch),
) {
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
   * Answers in a conversation through the connector (only where a token may go): best effort, and
   * no longer than TELL_MS, so Teams (or the browser) gets its answer in time whatever happens.
   */
  const say = async (
    serviceUrl: string,
    conversationId: string,
    under: string | undefined,
    card: ChatCard,
  ) => {
    let timer: NodeJS.Timeout | undefined;
    const said = (async () => {
      const bot = await runtime.bot();
      if (!serviceUrlAllowed(bot, serviceUrl)) return;
      await callConnector(
        { fetch: deps.fetch, clock: deps.clock, tokens: runtime.tokens, bot },
        serviceUrl,
        'POST',
        activitiesPath(conversationId, under),
        cardMessage(card),
      );
    })().catch(() => undefined);
    await Promise.race([said, new Promise((resolve) => (timer = setTimeout(resolve, TELL_MS)))]);
    clearTimeout(timer);
  };
  const tell = (activity: Activity, card: ChatCard) =>
    say(activity.serviceUrl, activity.conversation.id, activity.id, card);
  /** Says in the conversation a confirmed binding was asked in that it is done. */
  const tellConfirmed = (binding: PendingBinding, card: ChatCard) =>
    say(binding.reference.serviceUrl, binding.reference.conversationId, binding.activityId, card);

  /**
   * Claims a one-time bind code for the tenant: claimed once (a conditional write), unexpired, made
   * for this tenant, its connection still an active bot connection naming it. The binding is then
   * pending until a Microsoft admin of the tenant confirms (`tenant-confirmation.ts`): the answer
   * carries the confirmation link. The code is never stored, queued, logged nor audited: only its
   * hash is looked up.
   */
  const connect = async (
    activity: Activity,
    tenantId: string,
    code: string,
    at: Date,
  ): Promise<{ card: ChatCard; work?: ChatWork[]; link?: string }> => {
    if (!BIND_CODE.test(code) || !deps.bindCodes) return { card: codeRefused };
    const claimed = await deps.bindCodes.claim(bindCodeHash(code), at);
    if (!claimed || claimed.provider !== TEAMS || claimed.installationId !== tenantId)
      return { card: codeRefused };
    const connection = await deps.connections.get(claimed.orgId, claimed.connectionId);
    const summary = connection?.credentials as { kind?: string; tenantId?: string } | null | undefined;
    if (
      connection?.provider !== TEAMS ||
      connection.status !== 'active' ||
      summary?.kind !== 'teams_bot' ||
      summary.tenantId?.toLowerCase() !== tenantId
    )
      return { card: codeRefused };
    // Pending until a Microsoft admin of the tenant confirms: nothing is bound or kept before.
    const bot = await runtime.bot();
    const requestedBy = actorOf(activity).platformUserId;
    const link = await startTenantConfirmation(deps, bot, {
      orgId: connection.orgId,
      connectionId: connection.id,
      tenantId,
      reference: referenceOf(activity, tenantId),
      ...(activity.id ? { activityId: activity.id } : {}),
      requestedBy,
    });
    await deps.audit.append(
      auditBySystem({
        action: 'chat.installation_pending',
        actor: 'hub-teams',
        orgId: connection.orgId,
        targets: [{ type: 'connection', id: connection.id }],
        requestId: activity.id ?? connection.id,
        at,
        after: { provider: TEAMS, installationId: tenantId, via: 'bind_code', requestedBy },
      }),
    );
    return {
      card: {
        title: 'One more step: a Microsoft admin of this tenant confirms',
        text: `The bind code is accepted. A **Global Administrator** or **Teams Administrator** of this tenant now signs in with Microsoft to confirm (within ${CONFIRM_TTL_MS / 60_000} minutes, in one browser); until then the tenant is not connected.`,
        actions: [{ kind: 'link', label: 'Confirm as a Microsoft admin', url: link }],
        fallback:
          'The bind code is accepted: a Microsoft admin of this tenant must now confirm with the link.',
      },
      link,
    };
  };
  /**
   * Whether the tenant's binding still holds: one whose connection was deleted binds nothing, and
   * is released (with the references it left) so a new bind code can bind the tenant again.
   */
  const holds = async (tenantId: string, bound: { orgId: string; connectionId: string }) => {
    if (await deps.connections.get(bound.orgId, bound.connectionId)) return true;
    await deps.installations.unbind(TEAMS, tenantId);
    await refs.forgetTenant(bound.orgId, tenantId);
    return false;
  };
  /** The code of a `connect <code>` command (its second word). */
  const codeOf = (text: string) => text.split(' ')[1] ?? '';

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
    ...(tenantOf(activity) ? { installationId: tenantOf(activity) as string } : {}),
    actor: actorOf(activity),
    conversation: activity.conversation.id,
    receivedAt: at.toISOString(),
    reply: replyOf(activity, tenantOf(activity) ?? ''),
    request,
  });

  const onInvoke = async (
    activity: Activity,
    bound: { orgId: string; connectionId: string } | null,
    at: Date,
  ): Promise<AppReply> => {
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
      if (CONNECT.test(text)) {
        // Answered here, never queued nor echoed: the text holds a bind code.
        const tenantId = tenantOf(activity) ?? '';
        if (bound && (await holds(tenantId, bound))) return answer(alreadyConnected.fallback);
        const result = await connect(activity, tenantId, codeOf(text), at);
        const said = result.link ? `${result.card.fallback} ${result.link}` : result.card.fallback;
        return { ...answer(said), ...(result.work ? { work: result.work } : {}) };
      }
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
      // The Microsoft admin's confirmation of a pending binding, in their browser.
      if (request.method === 'GET' && request.inbound === 'install')
        return handleConfirmPage(deps, await runtime.bot(), request);
      if (request.method === 'POST' && request.inbound === 'install')
        return handleConfirmStart(deps, await runtime.bot(), entra, request);
      if (request.method === 'GET' && request.inbound === 'oauth/callback')
        return handleConfirmCallback(deps, await runtime.bot(), entra, request, tellConfirmed);
      if (request.inbound !== 'events') return refuse(404, 'Not found');
      if (request.method !== 'POST') return refuse(405, 'The messaging endpoint takes POST');
      if (Buffer.byteLength(request.body) > BODY_LIMIT) return refuse(413, 'The activity is too large');
      const header = headerOf(request.headers, 'authorization');
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
        if (CONNECT.test(text)) {
          if (bound && (await holds(tenantId, bound))) {
            await tell(activity, alreadyConnected);
            return OK;
          }
          const result = await connect(activity, tenantId, codeOf(text), at);
          await tell(activity, result.card);
          return { ...OK, ...(result.work ? { work: result.work } : {}) };
        }
        if (!bound) {
          await tell(activity, notConnected(tenantId));
          return OK;
        }
        return { ...OK, work: [work(activity, bound, at, { kind: 'command', text })] };
      }
      return OK;
    },
  };
}
