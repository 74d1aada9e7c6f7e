import { makeHandler } from '../../../../functions/receive-chat-request/handler';
import type { AppRequest, ChatWork } from '../../../../shared/chat/model';
import { MAX_CHAT_BODY_BYTES, makeReceiveChatRequest } from '../../../../shared/chat/receive-chat-request';
import { apiEvent, lambdaContext, parse } from '../../../support/api-events';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';

const work = (id: string, provider = 'chatfake'): ChatWork => ({
  id,
  orgId: ORG,
  connectionId: CON,
  provider,
  actor: { platformUserId: 'U1' },
  conversation: 'C1',
  receivedAt: '2026-03-01T12:00:00.000Z',
  reply: { provider, data: { url: 'https://chat.example/respond' } },
  request: { kind: 'command', text: 'status WEB-12' },
});

/** A test-only chat provider: serves `events` alone; a request whose `x-sig` is not `good` is refused. */
function setup(options: { queueFails?: boolean } = {}) {
  const seen: AppRequest[] = [];
  const queued: ChatWork[][] = [];
  const order: string[] = [];
  const app = {
    handle: async (request: AppRequest) => {
      seen.push(request);
      if (request.headers['x-sig'] !== 'good') return { status: 401, body: 'bad signature' };
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"ok":true}',
        work: [work('Ev1'), work('Ev2', 'otherchat')],
      };
    },
  };
  const receive = makeReceiveChatRequest({
    apps: (provider) => (provider === 'chatfake' ? app : null),
    inbound: (provider) => (provider === 'chatfake' ? ['events'] : null),
    queue: {
      enqueue: async (w) => {
        if (options.queueFails) throw new Error('queue down');
        order.push('queued');
        queued.push([...w]);
      },
    },
    clock: { now: () => new Date('2026-03-01T12:00:00Z') },
  });
  const handler = makeHandler(async (...args) => {
    const reply = await receive(...args);
    order.push('answered');
    return reply;
  });
  const send = (
    method: 'GET' | 'POST',
    provider: string,
    inbound: string,
    body = 'payload',
    headers: Record<string, string> = {},
  ) => {
    const routePath =
      inbound === 'events'
        ? '/{provider}/events'
        : inbound === 'install'
          ? '/{provider}/install'
          : '/{provider}/oauth/callback';
    return handler(
      apiEvent({
        method,
        path: `/${provider}/${inbound}`,
        routePath,
        rawBody: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        pathParameters: { provider },
        query: { a: '1' },
      }),
      lambdaContext(),
    );
  };
  return { send, seen, queued, order };
}

describe('the chat app endpoint', () => {
  it("hands a provider's app the request and queues its work before answering", async () => {
    const { send, seen, queued, order } = setup();
    const res = await send('POST', 'chatfake', 'events', 'text=status', { 'X-Sig': 'good' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"ok":true}');
    expect(seen[0]).toEqual(
      expect.objectContaining({ method: 'POST', inbound: 'events', body: 'text=status', query: { a: '1' } }),
    );
    expect(seen[0]?.headers['x-sig']).toBe('good');
    // Work naming another provider is not this endpoint's to queue.
    expect(queued).toEqual([[work('Ev1')]]);
    expect(order).toEqual(['queued', 'answered']);
  });

  it("answers the app's own refusal in the platform's format and queues nothing", async () => {
    const { send, queued } = setup();
    const res = await send('POST', 'chatfake', 'events', 'x', { 'x-sig': 'forged' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toBe('bad signature');
    expect(queued).toEqual([]);
  });

  it('fails (for the platform to retry) when the work cannot be queued', async () => {
    const { send } = setup({ queueFails: true });
    const res = await send('POST', 'chatfake', 'events', 'x', { 'x-sig': 'good' });
    expect(res.statusCode).toBe(500);
  });

  it.each([
    ['an unknown provider', 'POST', 'nochat', 'events'],
    ['a provider id that is an object property', 'POST', 'constructor', 'events'],
    ['a route the provider does not serve', 'GET', 'chatfake', 'install'],
    ['a route the provider does not serve', 'GET', 'chatfake', 'oauth/callback'],
  ] as const)(
    'answers 404 problem+json for %s, with nothing read',
    async (_what, method, provider, inbound) => {
      const { send, seen } = setup();
      const res = await send(method, provider, inbound, 'x', { 'x-sig': 'good' });
      expect(res.statusCode).toBe(404);
      expect(res.headers?.['content-type']).toBe('application/problem+json');
      expect(seen).toEqual([]);
    },
  );

  it('refuses a body over the bound, unread', async () => {
    const { send, seen } = setup();
    const res = await send('POST', 'chatfake', 'events', 'x'.repeat(MAX_CHAT_BODY_BYTES + 1), {
      'x-sig': 'good',
    });
    expect(res.statusCode).toBe(413);
    expect(parse(res).status).toBe(413);
    expect(seen).toEqual([]);
  });
});

describe("the chat app endpoint's cookies (API Gateway payload 2.0)", () => {
  it("hands the app the request's cookies as its Cookie header, and sends each of the app's cookies as a Set-Cookie", async () => {
    const seen: AppRequest[] = [];
    const handler = makeHandler(
      makeReceiveChatRequest({
        apps: () => ({
          handle: async (request: AppRequest) => {
            seen.push(request);
            return {
              status: 302,
              headers: { location: 'https://chat.example/consent' },
              cookies: ['a=1', 'b=2'],
            };
          },
        }),
        inbound: () => ['install'],
        queue: { enqueue: async () => undefined },
        clock: { now: () => new Date('2026-03-01T12:00:00Z') },
      }),
    );
    const event = apiEvent({
      method: 'GET',
      path: '/chatfake/install',
      routePath: '/{provider}/install',
      pathParameters: { provider: 'chatfake' },
      query: { state: 's' },
    });
    const res = await handler({ ...event, cookies: ['hub-install-x=v1', 'other=v2'] }, lambdaContext());
    expect(seen[0]?.headers.cookie).toBe('hub-install-x=v1; other=v2');
    expect(res.statusCode).toBe(302);
    expect(res.cookies).toEqual(['a=1', 'b=2']);
    expect(res.headers?.location).toBe('https://chat.example/consent');
  });
});
