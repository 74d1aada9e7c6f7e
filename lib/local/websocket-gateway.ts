import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { newId } from '../../shared/ids';
import type { WebSocketEvent, WebSocketResult } from '../../shared/realtime/session';
import { realtime } from '../../shared/topology';
import type { FunctionHost } from './function-host';
import { localNames } from './local-names';

/**
 * The real-time API on one machine: the WebSocket protocol (RFC 6455) on the hub's port at
 * `realtime.path`, each upgrade, message and close turned into the API Gateway WebSocket event its
 * route's function receives in AWS, and the Management API's view of the open connections (played
 * by the AWS emulator at `/@connections/{id}`). No WebSocket package ships with the project, so the
 * framing is here: text messages, fragments, ping/pong and close — what API Gateway speaks.
 */

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** API Gateway's WebSocket message limit. */
const MAX_MESSAGE_BYTES = 128 * 1024;
const STAGE = 'local';

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One frame for the client: server frames are never masked. */
export function encodeFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65_536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigEndian64(length)]);
  return Buffer.concat([header, payload]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * Reads the frames a client sent from what has arrived: the frames complete so far, and the bytes
 * left over. A protocol error (an unmasked client frame, a frame over the limit) is thrown with the
 * close code to send.
 */
export function decodeFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const b0 = buffer[offset] as number;
    const b1 = buffer[offset + 1] as number;
    let length = b1 & 0x7f;
    let at = offset + 2;
    if (length === 126) {
      if (buffer.length - at < 2) break;
      length = buffer.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      if (buffer.length - at < 8) break;
      const big = buffer.readBigUInt64BE(at);
      if (big > BigInt(MAX_MESSAGE_BYTES)) throw new FrameError(1009, 'Message too big');
      length = Number(big);
      at += 8;
    }
    if (length > MAX_MESSAGE_BYTES) throw new FrameError(1009, 'Message too big');
    if ((b1 & 0x80) === 0) throw new FrameError(1002, 'Client frames must be masked');
    if (buffer.length - at < 4 + length) break;
    const mask = buffer.subarray(at, at + 4);
    at += 4;
    const payload = Buffer.from(buffer.subarray(at, at + length));
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    offset = at + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

export class FrameError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** One client's connection, as the gateway and the Management API see it. */
class LocalSocket {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closed = false;
  lastActiveAt = new Date();

  constructor(
    readonly id: string,
    readonly socket: Duplex,
    readonly connectedAt: Date,
    readonly sourceIp: string,
    readonly userAgent: string,
  ) {}

  get open(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  send(text: string): boolean {
    if (!this.open) return false;
    this.socket.write(encodeFrame(OP.text, Buffer.from(text, 'utf8')));
    return true;
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) {
      const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
      payload.writeUInt16BE(code, 0);
      payload.write(reason, 2);
      // The close frame is the last thing sent; the TCP connection goes with it.
      this.socket.end(encodeFrame(OP.close, payload), () => this.socket.destroy());
    }
  }

  /** The whole text messages the new bytes complete (control frames are answered here). */
  receive(chunk: Buffer): string[] {
    this.lastActiveAt = new Date();
    const { frames, rest } = decodeFrames(Buffer.concat([this.buffered, chunk]));
    this.buffered = rest;
    const messages: string[] = [];
    for (const frame of frames) {
      if (frame.opcode === OP.ping) {
        if (this.open) this.socket.write(encodeFrame(OP.pong, frame.payload));
      } else if (frame.opcode === OP.close) {
        this.close(frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1000);
      } else if (frame.opcode === OP.pong) {
        // An answer to nothing this gateway sent: ignored, as RFC 6455 allows.
      } else if (frame.opcode === OP.binary) {
        throw new FrameError(1003, 'Send text messages (JSON)');
      } else {
        this.fragments.push(frame.payload);
        const size = this.fragments.reduce((n, f) => n + f.length, 0);
        if (size > MAX_MESSAGE_BYTES) throw new FrameError(1009, 'Message too big');
        if (frame.fin) {
          messages.push(Buffer.concat(this.fragments).toString('utf8'));
          this.fragments = [];
        }
      }
    }
    return messages;
  }
}

/** The open connections, by id: what the gateway serves and the emulated Management API reaches. */
export class LocalConnections {
  private readonly sockets = new Map<string, LocalSocket>();

  add(socket: LocalSocket): void {
    this.sockets.set(socket.id, socket);
  }

  remove(id: string): void {
    this.sockets.delete(id);
  }

  /** PostToConnection: false when the connection is gone (the API answers 410). */
  post(id: string, data: string): boolean {
    const socket = this.sockets.get(id);
    return socket?.open === true && socket.send(data);
  }

  /** DeleteConnection: false when it is gone. */
  disconnect(id: string): boolean {
    const socket = this.sockets.get(id);
    if (!socket?.open) return false;
    socket.close(1000, 'Closed by the hub');
    return true;
  }

  /** GetConnection's answer, or null when it is gone. */
  info(id: string): Record<string, unknown> | null {
    const socket = this.sockets.get(id);
    if (!socket?.open) return null;
    return {
      ConnectedAt: socket.connectedAt.toISOString(),
      LastActiveAt: socket.lastActiveAt.toISOString(),
      Identity: { SourceIp: socket.sourceIp, UserAgent: socket.userAgent },
    };
  }

  /** Closes every connection (the hub is stopping); each then gets its `$disconnect`. */
  closeAll(): void {
    for (const socket of this.sockets.values()) socket.close(1001, 'The hub is stopping');
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

const requestTime = (at: Date) => at.toUTCString();

/** Plays the real-time API's stage on the hub's HTTP server. */
export class WebSocketGateway {
  /** `$disconnect` invocations under way, which a stop waits for. */
  private readonly disconnecting = new Set<Promise<void>>();
  private readonly sockets = new Set<Duplex>();

  constructor(
    private readonly host: FunctionHost,
    private readonly connections: LocalConnections,
  ) {}

  private context(
    routeKey: keyof typeof realtime.routes,
    eventType: WebSocketEvent['requestContext']['eventType'],
    socket: { id: string; connectedAt: Date; sourceIp: string; userAgent: string },
    host: string,
  ) {
    const now = new Date();
    return {
      routeKey,
      eventType,
      messageDirection: 'IN',
      extendedRequestId: randomUUID(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      stage: STAGE,
      connectedAt: socket.connectedAt.getTime(),
      identity: { sourceIp: socket.sourceIp, userAgent: socket.userAgent },
      requestId: randomUUID(),
      domainName: host,
      connectionId: socket.id,
      apiId: 'local',
      accountId: localNames.account,
    };
  }

  /** Whether the request is for the real-time API (the HTTP server hands it over when it is). */
  handles(req: IncomingMessage): boolean {
    return new URL(req.url ?? '/', 'http://localhost').pathname === realtime.path;
  }

  /** An upgrade request: `$connect` decides; a 2xx completes the handshake, anything else refuses it. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const key = req.headers['sec-websocket-key'];
    if (
      req.method !== 'GET' ||
      String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket' ||
      typeof key !== 'string' ||
      req.headers['sec-websocket-version'] !== '13'
    ) {
      return refuse(socket, 400, JSON.stringify({ message: 'Bad Request' }), 'application/json');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const { single, multi } = headersOf(req);
    const connection = {
      id: newId('wsc'),
      connectedAt: new Date(),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    const host = String(req.headers.host ?? 'localhost');
    const event = {
      headers: single,
      multiValueHeaders: multi,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      requestContext: this.context('$connect', 'CONNECT', connection, host),
      isBase64Encoded: false,
    };
    let result: WebSocketResult;
    try {
      result = (await this.host.invoke(realtime.routes.$connect, event)) as WebSocketResult;
    } catch (error) {
      process.stderr.write(`realtime $connect: ${(error as Error).message}\n`);
      return refuse(socket, 500, JSON.stringify({ message: 'Internal server error' }), 'application/json');
    }
    const status = result?.statusCode ?? 500;
    if (status < 200 || status >= 300) {
      const type = Object.entries(result?.headers ?? {}).find(
        ([k]) => k.toLowerCase() === 'content-type',
      )?.[1];
      return refuse(socket, status, result?.body ?? '', type ?? 'application/json');
    }
    const protocol = Object.entries(result.headers ?? {}).find(
      ([k]) => k.toLowerCase() === 'sec-websocket-protocol',
    )?.[1];
    const accept = createHash('sha1').update(`${key}${ACCEPT_GUID}`).digest('base64');
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []),
        '',
        '',
      ].join('\r\n'),
    );
    const open = new LocalSocket(
      connection.id,
      socket,
      connection.connectedAt,
      connection.sourceIp,
      connection.userAgent,
    );
    this.connections.add(open);
    let queue: Promise<void> = Promise.resolve();
    const onData = (chunk: Buffer) => {
      let messages: string[];
      try {
        messages = open.receive(chunk);
      } catch (error) {
        open.close(error instanceof FrameError ? error.code : 1002, (error as Error).message);
        return;
      }
      // A connection's messages reach the function in the order they were sent.
      for (const body of messages) queue = queue.then(() => this.message(open, body, host));
    };
    if (head.length > 0) onData(head);
    socket.on('data', onData);
    let gone = false;
    const disconnect = () => {
      if (gone) return;
      gone = true;
      this.connections.remove(open.id);
      const done = queue.then(() => this.disconnect(open, host));
      this.disconnecting.add(done);
      void done.finally(() => this.disconnecting.delete(done));
      queue = done;
    };
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      disconnect();
    });
    socket.on('error', () => socket.destroy());
  }

  /**
   * Closes every connection and waits (a few seconds at most) for their `$disconnect`, so a stopped
   * hub leaves no connection behind; one whose client does not answer is left to its TTL, as in AWS.
   */
  async stop(): Promise<void> {
    const closed = [...this.sockets].map((s) => new Promise<void>((r) => s.once('close', () => r())));
    this.connections.closeAll();
    const bound = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.all(closed), bound(2000)]);
    await Promise.race([Promise.all(this.disconnecting), bound(3000)]);
  }

  private async message(open: LocalSocket, body: string, host: string): Promise<void> {
    const event = {
      requestContext: { ...this.context('$default', 'MESSAGE', open, host), messageId: randomUUID() },
      body,
      isBase64Encoded: false,
    };
    try {
      const result = (await this.host.invoke(realtime.routes.$default, event)) as WebSocketResult | undefined;
      // The route returns its response to the client, as the API's `$default` route response does.
      if (typeof result?.body === 'string') open.send(result.body);
    } catch (error) {
      process.stderr.write(`realtime $default: ${(error as Error).message}\n`);
      open.send(JSON.stringify({ message: 'Internal server error', connectionId: open.id }));
    }
  }

  private async disconnect(open: LocalSocket, host: string): Promise<void> {
    const event = {
      headers: { Host: host },
      requestContext: {
        ...this.context('$disconnect', 'DISCONNECT', open, host),
        disconnectStatusCode: 1000,
        disconnectReason: '',
      },
      isBase64Encoded: false,
    };
    await this.host
      .invoke(realtime.routes.$disconnect, event)
      .catch((error: unknown) => process.stderr.write(`realtime $disconnect: ${(error as Error).message}\n`));
  }
}

function refuse(socket: Duplex, status: number, body: string, contentType: string): void {
  const bytes = Buffer.from(body, 'utf8');
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      `Content-Type: ${contentType}`,
      `Content-Length: ${bytes.length}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n') + bytes.toString('utf8'),
  );
}
