import type { ChatPart } from '../connectors/provider-module';
import { NotFoundError, PayloadTooLargeError } from '../errors';
import type { Clock } from '../ports/clock';
import { redactBindCodes } from './bind-codes';
import type { AppReply, ChatInbound, ChatWork } from './model';
import { CHAT_INBOUND } from './model';
import type { ChatWorkQueue } from './ports';

/** The largest body a chat platform posts to the app endpoint (Slack and Teams post a few KiB). */
export const MAX_CHAT_BODY_BYTES = 256 * 1024;

/** Work as it may be queued: a bind code a person typed into a command (on any platform) is masked. */
const redacted = (work: ChatWork): ChatWork => {
  const { request } = work;
  if (request.kind === 'command')
    return { ...work, request: { ...request, text: redactBindCodes(request.text) } };
  if (request.kind === 'action')
    return { ...work, request: { ...request, actionId: redactBindCodes(request.actionId) } };
  return work;
};

/** What the app endpoint hands on of one HTTP request. */
export interface InboundChatRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** The routes an inbound path is served by: the methods it takes (an install page's button POSTs). */
const METHODS_OF: Readonly<Record<ChatInbound, readonly ('GET' | 'POST')[]>> = {
  install: ['GET', 'POST'],
  'oauth/callback': ['GET'],
  events: ['POST'],
};

const isInbound = (value: string): value is ChatInbound =>
  (CHAT_INBOUND as readonly string[]).includes(value);

/**
 * The chat app endpoint of every platform (`/{provider}/install` and its page's button, `/{provider}/oauth/callback`,
 * `POST /{provider}/events`): a provider no module gives a chat part, or a route its part does not
 * serve, is 404 with nothing read; a body over the bound is refused unread. The provider's app
 * verifies the request (its signature, its token) before reading it; the work it returns is on the
 * `chat` queue before the platform is answered, so nothing acknowledged is lost, and any bind code
 * typed into a command is masked before it is (the providers answer `connect <code>` themselves).
 */
export function makeReceiveChatRequest(deps: {
  /** The app handler of each provider with a chat part, by provider id, built on first use. */
  apps: (provider: string) => Pick<ReturnType<ChatPart['app']>, 'handle'> | null;
  /** Which routes each chat provider serves (`ChatPart.inbound`), by provider id. */
  inbound: (provider: string) => readonly ChatInbound[] | null;
  queue: ChatWorkQueue;
  clock: Clock;
}) {
  return async (provider: string, inbound: string, request: InboundChatRequest): Promise<AppReply> => {
    const served = deps.inbound(provider);
    if (
      !served ||
      !isInbound(inbound) ||
      !served.includes(inbound) ||
      !METHODS_OF[inbound].includes(request.method)
    ) {
      throw new NotFoundError(`No chat app of ${provider} serves ${request.method} /${provider}/${inbound}`);
    }
    if (Buffer.byteLength(request.body) > MAX_CHAT_BODY_BYTES) {
      throw new PayloadTooLargeError(`A chat request's body is at most ${MAX_CHAT_BODY_BYTES / 1024} KiB`);
    }
    const app = deps.apps(provider);
    if (!app) throw new NotFoundError(`No chat app of ${provider}`);
    const lower = (record: Readonly<Record<string, string | undefined>>, lowerKeys: boolean) =>
      Object.fromEntries(
        Object.entries(record).flatMap(([k, v]) =>
          v === undefined ? [] : [[lowerKeys ? k.toLowerCase() : k, v]],
        ),
      );
    const reply = await app.handle({
      method: request.method,
      inbound,
      headers: lower(request.headers, true),
      query: lower(request.query, false),
      body: request.body,
      receivedAt: deps.clock.now(),
    });
    // Work from another provider's name is not this endpoint's to queue; no bind code is queued.
    const work = (reply.work ?? []).filter((w) => w.provider === provider).map(redacted);
    if (work.length > 0) await deps.queue.enqueue(work);
    return reply;
  };
}
