import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RouteSpec } from '../../shared/topology';
import {
  AUTHORIZER_CACHE_TTL_SECONDS,
  routes,
  UNMATCHED_ROUTE_FUNCTION,
  UNMATCHED_ROUTE_KEY,
} from '../../shared/topology';
import type { FunctionHost } from './function-host';
import { localNames } from './local-names';

/** How long a request in flight when the gateway closes may take to finish. */
const CLOSE_GRACE_MS = 5_000;

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: RouteSpec;
  readonly pattern: RegExp;
  readonly params: string[];
}

export interface LocalEndpoint {
  readonly method: string;
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

function compile(route: RouteSpec): CompiledRoute {
  const params: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), params };
}

/**
 * API Gateway's route precedence: the most specific route wins, a literal segment over a path
 * variable, left to right (`GET /v1/orgs` over `GET /{provider}/install` were both to match), so
 * the chat app routes (`/{provider}/…`) never shadow the hub's own (`/v1/…`, `/webhooks/…`).
 */
export function byPrecedence<T extends { readonly route: Pick<RouteSpec, 'path'> }>(
  compiled: readonly T[],
): T[] {
  const rank = (path: string) => path.split('/').map((segment) => (segment.startsWith('{') ? 1 : 0));
  return [...compiled].sort((a, b) => {
    const ra = rank(a.route.path);
    const rb = rank(b.route.path);
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
      const d = (ra[i] ?? 0) - (rb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** Answers as API Gateway does when it refuses a request itself (not problem+json: that is the gateway's format). */
function gatewayReply(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message }));
}

/**
 * Plays the HTTP API: matches the topology's routes, runs the Lambda authorizer (caching its result
 * per Authorization header for the same TTL as in AWS), builds API Gateway v2 events and writes the
 * handler's response back.
 */
export class HttpGateway {
  private readonly compiled = byPrecedence(routes.map(compile));
  private readonly authCache = new Map<string, { context: Record<string, string>; expires: number }>();
  private server: Server | undefined;
  /** Takes WebSocket upgrade requests (the real-time API on the hub's port); without it they are refused. */
  upgrades: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;

  constructor(
    private readonly host: FunctionHost,
    private readonly extra: readonly LocalEndpoint[],
  ) {}

  listen(port: number, hostname = '127.0.0.1'): Promise<number> {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        process.stderr.write(`gateway: ${(error as Error).stack ?? String(error)}\n`);
        if (!res.headersSent) gatewayReply(res, 500, 'Internal Server Error');
        else res.end();
      });
    });
    // The server never ends an idle kept-alive connection first: only the client does, on its own
    // timer, so a client can never send on a connection the server is closing at that moment (the
    // keep-alive race, seen as "other side closed" by a loaded client). Idle sockets still go when
    // their clients end them, and all of them when the gateway closes.
    this.server.keepAliveTimeout = 0;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.upgrades) this.upgrades(req, socket, head);
      else socket.destroy();
    });
    return new Promise((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, hostname, () => {
        const address = this.server?.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Stops taking connections and ends those it has: idle ones at once, each busy one as soon as its
   * answer is sent (a kept-alive connection would otherwise hold the close for the whole
   * keep-alive timeout), and any still busy after a grace period.
   */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const server = this.server;
      if (!server) return resolve();
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close(() => {
        clearInterval(idle);
        clearTimeout(grace);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const extra = this.extra.find((e) => e.method === method && e.path === url.pathname);
    if (extra) return extra.handle(req, res);

    let match: { compiled: CompiledRoute; values: string[] } | undefined;
    for (const compiled of this.compiled) {
      const m = compiled.pattern.exec(url.pathname);
      if (m && compiled.route.method === method) {
        match = { compiled, values: m.slice(1) };
        break;
      }
    }
    const body = await readBody(req);
    if (body === null) return gatewayReply(res, 413, 'Request Entity Too Large');
    // No route matched: the API's `$default` route, as in AWS (a problem+json 404 or 405).
    if (!match) {
      const event = buildEvent(req, url, UNMATCHED_ROUTE_KEY, method, body, {});
      return writeResult(res, await this.host.invoke(UNMATCHED_ROUTE_FUNCTION, event));
    }
    const { route, params } = match.compiled;
    const event = buildEvent(
      req,
      url,
      `${route.method} ${route.path}`,
      route.method,
      body,
      Object.fromEntries(params.map((p, i) => [p, decodeURIComponent(match.values[i] ?? '')])),
    );

    if (route.auth === 'hub') {
      const authorization = event.headers.authorization;
      // An HTTP API with an identity source refuses a request without it before calling the authorizer.
      if (!authorization) return gatewayReply(res, 401, 'Unauthorized');
      const context = await this.authorize(authorization, event);
      if (context === null) return gatewayReply(res, 403, 'Forbidden');
      (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: context };
    }

    const result = await this.host.invoke(route.function, event);
    writeResult(res, result);
  }

  private async authorize(
    authorization: string,
    event: APIGatewayProxyEventV2,
  ): Promise<Record<string, string> | null> {
    const cached = this.authCache.get(authorization);
    if (cached && cached.expires > Date.now()) return cached.context;
    const result = (await this.host.invoke('authorizeRequest', {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${localNames.region}:${localNames.account}:local/$default/${event.routeKey.replace(' ', '')}`,
      identitySource: [authorization],
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      headers: event.headers,
      queryStringParameters: event.queryStringParameters,
      requestContext: event.requestContext,
      pathParameters: event.pathParameters,
    })) as { isAuthorized?: boolean; context?: Record<string, string> };
    if (!result?.isAuthorized) return null;
    const context = result.context ?? {};
    this.authCache.set(authorization, { context, expires: Date.now() + AUTHORIZER_CACHE_TTL_SECONDS * 1000 });
    if (this.authCache.size > 10_000) this.authCache.delete(this.authCache.keys().next().value as string);
    return context;
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const TEXTUAL = /^(text\/|application\/([\w.+-]+\+)?(json|xml|x-www-form-urlencoded))/i;

function buildEvent(
  req: IncomingMessage,
  url: URL,
  routeKey: string,
  method: string,
  body: Buffer,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const textual = TEXTUAL.test(headers['content-type'] ?? '');
  // As API Gateway (payload 2.0) does: the cookies go in `cookies`, not among the headers.
  const { cookie, ...rest } = headers;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: cookie ? cookie.split(/;\s*/) : undefined,
    headers: rest,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    requestContext: {
      accountId: localNames.account,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function writeResult(res: ServerResponse, result: unknown) {
  const structured =
    result !== null && typeof result === 'object' && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  const body = structured.body ?? '';
  res.writeHead(structured.statusCode ?? 200, {
    ...Object.fromEntries(Object.entries(structured.headers ?? {}).map(([k, v]) => [k, String(v)])),
    // Each of `cookies` is its own Set-Cookie header, as API Gateway sends them.
    ...(structured.cookies && structured.cookies.length > 0 ? { 'set-cookie': structured.cookies } : {}),
  });
  res.end(structured.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}
