import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { newId } from '../../shared/ids';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../shared/realtime/protocol';
import type { WebSocketEvent, WebSocketResult } from '../../shared/realtime/session';
import { realtime } from '../../shared/topology';
import type { FunctionHost } from './function-host';
import { localNames } from './local-names';

/**
 * The real-time API on one machine: the WebSocket protocol (served by `ws`) on the hub's port at
 * `realtime.path`, each upgrade, message and close turned into the API Gateway WebSocket event its
 * route's function receives in AWS, and the Management API's view of the open connections (played
 * by the AWS emulator at `/@connections/{id}`).
 */

const STAGE = 'local';
/** RFC 6455 close codes the gateway sends. */
const CLOSE = { normal: 1000, goingAway: 1001, unsupportedData: 1003 } as const;

/** Who opened a connection, as API Gateway records it at `$connect`. */
interface ConnectionInfo {
  readonly id: string;
  readonly connectedAt: Date;
  readonly sourceIp: string;
  readonly userAgent: string;
}

/** One client's connection, as the gateway and the Management API see it. */
class LocalSocket {
  lastActiveAt: Date;

  constructor(
    readonly info: ConnectionInfo,
    readonly ws: WebSocket,
  ) {
    this.lastActiveAt = info.connectedAt;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(text: string): boolean {
    if (!this.open) return false;
    this.ws.send(text);
    return true;
  }
}

/** The open connections, by id: what the gateway serves and the emulated Management API reaches. */
export class LocalConnections {
  private readonly sockets = new Map<string, LocalSocket>();

  add(socket: LocalSocket): void {
    this.sockets.set(socket.info.id, socket);
  }

  remove(id: string): void {
    this.sockets.delete(id);
  }

  /** PostToConnection: false when the connection is gone (the API answers 410). */
  post(id: string, data: string): boolean {
    return this.sockets.get(id)?.send(data) === true;
  }

  /** DeleteConnection: false when it is gone. */
  disconnect(id: string): boolean {
    const socket = this.sockets.get(id);
    if (!socket?.open) return false;
    socket.ws.close(CLOSE.normal, 'Closed by the hub');
    return true;
  }

  /** GetConnection's answer (its wire names, as the SDK reads them), or null when it is gone. */
  info(id: string): Record<string, unknown> | null {
    const socket = this.sockets.get(id);
    if (!socket?.open) return null;
    return {
      connectedAt: socket.info.connectedAt.toISOString(),
      lastActiveAt: socket.lastActiveAt.toISOString(),
      identity: { sourceIp: socket.info.sourceIp, userAgent: socket.info.userAgent },
    };
  }

  /** Closes every connection (the hub is stopping); each then gets its `$disconnect`. */
  closeAll(): void {
    for (const socket of this.sockets.values()) socket.ws.close(CLOSE.goingAway, 'The hub is stopping');
  }
}

/** Headers with the names as the client sent them, as API Gateway passes them to `$connect`. */
function headersOf(req: IncomingMessage): {
  single: Record<string, string>;
  multi: Record<string, string[]>;
} {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    single[name] = name in single ? `${single[name]},${value}` : value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  return { single, multi };
}

const headerOf = (result: WebSocketResult, name: string): string | undefined =>
  Object.entries(result.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

/** What `$connect` admitted an upgrade request as, for the handshake `ws` then completes. */
interface Admitted {
  readonly info: ConnectionInfo;
  readonly protocol: string | undefined;
}

/** Plays the real-time API's stage on the hub's HTTP server. */
export class WebSocketGateway {
  /** `$disconnect` invocations under way, which a stop waits for. */
  private readonly disconnecting = new Set<Promise<void>>();
  private readonly admitted = new WeakMap<IncomingMessage, Admitted>();
  private readonly server: WebSocketServer;

  constructor(
    private readonly host: FunctionHost,
    private readonly connections: LocalConnections,
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      path: realtime.path,
      // A client message over the protocol's cap is refused unread: the connection closes with 1009.
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      // `ws` has checked the handshake; `$connect` decides, and a refusal carries its answer.
      verifyClient: ({ req }, done) =>
        void this.connect(req).then(
          (result) =>
            'refused' in result
              ? done(false, result.refused.statusCode, result.refused.body ?? '', {
                  'Content-Type': headerOf(result.refused, 'content-type') ?? 'application/json',
                })
              : done(true),
          () =>
            done(false, 500, JSON.stringify({ message: 'Internal server error' }), {
              'Content-Type': 'application/json',
            }),
        ),
      // The subprotocol is the one `$connect` answered with, as API Gateway returns it.
      handleProtocols: (offered, req) => {
        const chosen = this.admitted.get(req)?.protocol;
        return chosen !== undefined && offered.has(chosen) ? chosen : false;
      },
    });
  }

  private context(
    routeKey: keyof typeof realtime.routes,
    eventType: WebSocketEvent['requestContext']['eventType'],
    connection: ConnectionInfo,
    host: string,
  ) {
    const now = new Date();
    return {
      routeKey,
      eventType,
      messageDirection: 'IN',
      extendedRequestId: randomUUID(),
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      stage: STAGE,
      connectedAt: connection.connectedAt.getTime(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId: randomUUID(),
      domainName: host,
      connectionId: connection.id,
      apiId: 'local',
      accountId: localNames.account,
    };
  }

  /** Whether the request is for the real-time API (the HTTP server hands it over when it is). */
  handles(req: IncomingMessage): boolean {
    // `ws` compares the path (its check is synchronous when no subclass overrides it).
    return this.server.shouldHandle(req) === true;
  }

  /** An upgrade request: `$connect` decides; a 2xx completes the handshake, anything else refuses it. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const host = String(req.headers.host ?? 'localhost');
    return new Promise((resolve) => {
      // A refused handshake ends the socket without calling back.
      socket.once('close', () => resolve());
      this.server.handleUpgrade(req, socket, head, (ws) => {
        const admitted = this.admitted.get(req);
        if (admitted) this.opened(ws, admitted.info, host);
        resolve();
      });
    });
  }

  /** Runs `$connect` for an upgrade request: the connection it admits, or the answer refusing it. */
  private async connect(req: IncomingMessage): Promise<{ admitted: true } | { refused: WebSocketResult }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const { single, multi } = headersOf(req);
    const info: ConnectionInfo = {
      id: newId('wsc'),
      connectedAt: new Date(),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    const event = {
      headers: single,
      multiValueHeaders: multi,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      requestContext: this.context('$connect', 'CONNECT', info, String(req.headers.host ?? 'localhost')),
      isBase64Encoded: false,
    };
    let result: WebSocketResult | undefined;
    try {
      result = (await this.host.invoke(realtime.routes.$connect, event)) as WebSocketResult | undefined;
    } catch (error) {
      process.stderr.write(`realtime $connect: ${(error as Error).message}\n`);
      throw error;
    }
    const status = result?.statusCode ?? 500;
    if (!result || status < 200 || status >= 300) {
      return { refused: { body: '', ...result, statusCode: status } };
    }
    this.admitted.set(req, { info, protocol: headerOf(result, 'sec-websocket-protocol') });
    return { admitted: true };
  }

  /** A connection `$connect` admitted: its messages go to `$default`, its close to `$disconnect`. */
  private opened(ws: WebSocket, info: ConnectionInfo, host: string): void {
    const open = new LocalSocket(info, ws);
    this.connections.add(open);
    let queue: Promise<void> = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      open.lastActiveAt = new Date();
      if (isBinary) return ws.close(CLOSE.unsupportedData, 'Send text messages (JSON)');
      const body = data.toString();
      // A connection's messages reach the function in the order they were sent.
      queue = queue.then(() => this.message(open, body, host));
    });
    ws.on('ping', () => {
      open.lastActiveAt = new Date();
    });
    ws.on('close', (code, reason) => {
      this.connections.remove(info.id);
      queue = this.track(queue.then(() => this.disconnect(info, host, code, reason.toString())));
    });
    // A protocol error (`ws` closes the connection itself, 1009 for a message over the cap) ends in 'close'.
    ws.on('error', () => undefined);
  }

  /** Keeps a `$disconnect` under way until it ends, for a stop to wait for. */
  private track(done: Promise<void>): Promise<void> {
    this.disconnecting.add(done);
    void done.finally(() => this.disconnecting.delete(done));
    return done;
  }

  /**
   * Closes every connection and waits (a few seconds at most) for their `$disconnect`, so a stopped
   * hub leaves no connection behind; a client that does not answer the close is cut off.
   */
  async stop(): Promise<void> {
    const clients = [...this.server.clients];
    const closed = clients.map((ws) => new Promise<void>((r) => ws.once('close', () => r())));
    this.connections.closeAll();
    const bound = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.all(closed), bound(2000)]);
    for (const ws of this.server.clients) ws.terminate();
    await Promise.race([Promise.all(this.disconnecting), bound(3000)]);
  }

  private async message(open: LocalSocket, body: string, host: string): Promise<void> {
    const event = {
      requestContext: { ...this.context('$default', 'MESSAGE', open.info, host), messageId: randomUUID() },
      body,
      isBase64Encoded: false,
    };
    try {
      const result = (await this.host.invoke(realtime.routes.$default, event)) as WebSocketResult | undefined;
      // The route returns its response to the client, as the API's `$default` route response does.
      if (typeof result?.body === 'string') open.send(result.body);
    } catch (error) {
      process.stderr.write(`realtime $default: ${(error as Error).message}\n`);
      open.send(JSON.stringify({ message: 'Internal server error', connectionId: open.info.id }));
    }
  }

  private async disconnect(info: ConnectionInfo, host: string, code: number, reason: string): Promise<void> {
    const event = {
      headers: { Host: host },
      requestContext: {
        ...this.context('$disconnect', 'DISCONNECT', info, host),
        disconnectStatusCode: code,
        disconnectReason: reason,
      },
      isBase64Encoded: false,
    };
    await this.host
      .invoke(realtime.routes.$disconnect, event)
      .catch((error: unknown) => process.stderr.write(`realtime $disconnect: ${(error as Error).message}\n`));
  }
}
