import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { partOf } from '../../shared/chat/chat-parts';
import type { AppReply } from '../../shared/chat/model';
import { makeReceiveChatRequest } from '../../shared/chat/receive-chat-request';
import type { ChatPart } from '../../shared/connectors/provider-module';
import { apiHandler, byOperation } from '../../shared/http/api-handler';
import { logger } from '../../shared/observability/observability';

const answer = (reply: AppReply) => ({
  statusCode: reply.status,
  headers: { ...reply.headers },
  ...(reply.cookies && reply.cookies.length > 0 ? { cookies: [...reply.cookies] } : {}),
  ...(reply.body !== undefined ? { body: reply.body } : {}),
});

const bodyOf = (event: APIGatewayProxyEventV2) =>
  event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');

/**
 * Every chat platform's app endpoint: `GET /{provider}/install`, `GET /{provider}/oauth/callback`
 * and `POST /{provider}/events`, one function whose path says which provider.
 */
export const makeHandler = (receive: ReturnType<typeof makeReceiveChatRequest>) => {
  const route = (
    operation: 'installChatApp' | 'confirmChatInstall' | 'completeChatInstall' | 'receiveChatEvent',
    inbound: string,
  ) =>
    apiHandler({
      operation,
      handle: async ({ path, event }) => {
        const reply = await receive(path.provider, inbound, {
          method: event.requestContext.http.method === 'POST' ? 'POST' : 'GET',
          // API Gateway (payload 2.0) gives the request's cookies apart from its headers.
          headers: {
            ...event.headers,
            ...(event.cookies && event.cookies.length > 0 ? { cookie: event.cookies.join('; ') } : {}),
          },
          query: event.queryStringParameters ?? {},
          body: bodyOf(event),
        });
        logger.info('Chat request answered', {
          provider: path.provider,
          inbound,
          status: reply.status,
          queued: reply.work?.length ?? 0,
        });
        return answer(reply);
      },
    });
  return byOperation({
    installChatApp: route('installChatApp', 'install'),
    confirmChatInstall: route('confirmChatInstall', 'install'),
    completeChatInstall: route('completeChatInstall', 'oauth/callback'),
    receiveChatEvent: route('receiveChatEvent', 'events'),
  });
};

/** Each provider's app, built on its first request (its client and deps only then). */
export function lazyApps(parts: Readonly<Record<string, ChatPart>>) {
  const built = new Map<string, ReturnType<ChatPart['app']>>();
  return (provider: string) => {
    const part = partOf(parts, provider);
    if (!part) return null;
    let app = built.get(provider);
    if (!app) {
      app = part.app(adapters.chatDeps(provider));
      built.set(provider, app);
    }
    return app;
  };
}

const parts = adapters.chatParts();

export const handler = makeHandler(
  makeReceiveChatRequest({
    apps: lazyApps(parts),
    inbound: (provider) => partOf(parts, provider)?.inbound ?? null,
    queue: adapters.chatWorkQueue(),
    clock: hubClock(),
  }),
);
