import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { WebSocket } from 'undici';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { listenOnLoopback } from '../../lib/local/free-port';
import type { FunctionHost } from '../../lib/local/function-host';
import { functionCredentials, LocalIam } from '../../lib/local/local-iam';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import {
  decodeFrames,
  encodeFrame,
  FrameError,
  LocalConnections,
  WebSocketGateway,
} from '../../lib/local/websocket-gateway';
import {
  ManagementApiError,
  ManagementApiPoster,
} from '../../shared/adapters/apigateway/management-api-poster';
import type { FunctionName, QueueName } from '../../shared/topology';
import { realtime } from '../../shared/topology';

/**
 * The real-time API on one machine: the gateway turns a WebSocket's life into API Gateway's
 * WebSocket events for the topology's functions, and the emulator's Management API posts to its
 * connections, for the callers whose declared access allows it.
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read the events the gateway builds freely
type Json = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'hub-rt-'));
let aws: AwsEmulator;
let gatewayUrl: string;
let stopGateway: () => Promise<void>;
const connections = new LocalConnections();
const invoked: { name: FunctionName; event: Json }[] = [];
/** A header as sent, whatever its case (the gateway passes names as the client wrote them). */
const header = (event: Json, name: string): string | undefined =>
  Object.entries((event.headers ?? {}) as Record<string, string>).find(
    ([k]) => k.toLowerCase() === name,
  )?.[1];
// What the functions answer: a refusal for a token named so, an echo for every message.
const host = {
  invoke: async (name: FunctionName, event: Json) => {
    invoked.push({ name, event });
    if (event.requestContext.eventType === 'CONNECT') {
      return header(event, 'authorization') === 'Bearer refused'
        ? { statusCode: 403, headers: { 'content-type': 'application/problem+json' }, body: '{"status":403}' }
        : { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'hub.v1' } };
    }
    if (event.requestContext.eventType === 'MESSAGE') return { statusCode: 200, body: `echo:${event.body}` };
    return { statusCode: 200 };
  },
} as unknown as FunctionHost;

beforeAll(async () => {
  aws = await startAwsEmulator({
    sqs: {} as SQSClient,
    queueUrls: {} as Record<QueueName, string>,
    kms: new LocalKms(dir),
    iam: new LocalIam('runtime'),
    connections,
  });
  const gateway = new WebSocketGateway(host, connections);
  const server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => void gateway.upgrade(req, socket, head));
  const listening = await listenOnLoopback(server);
  gatewayUrl = listening.endpoint.replace('http:', 'ws:');
  stopGateway = listening.stop;
});
afterAll(async () => {
  connections.closeAll();
  await stopGateway?.();
  await aws?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const posterAs = (name: FunctionName) =>
  new ManagementApiPoster(aws.endpoint, localNames.region, async () => functionCredentials(name));

function open(token: string): Promise<{ ws: WebSocket; messages: string[]; next(): Promise<string> }> {
  const ws = new WebSocket(`${gatewayUrl}${realtime.path}`, {
    protocols: ['hub.v1'],
    headers: { authorization: `Bearer ${token}` },
  });
  const messages: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  ws.addEventListener('message', (e) => {
    const m = String(e.data);
    const w = waiting.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = () => {
    const m = messages.shift();
    return m !== undefined ? Promise.resolve(m) : new Promise<string>((r) => waiting.push(r));
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve({ ws, messages, next }));
    ws.addEventListener('error', () => reject(new Error('refused')));
  });
}

const connectionIdOf = (token: string) =>
  invoked.find(
    (i) =>
      i.event.requestContext.eventType === 'CONNECT' &&
      header(i.event, 'authorization') === `Bearer ${token}`,
  )?.event.requestContext.connectionId as string;

describe('the local real-time gateway', () => {
  it("builds API Gateway's WebSocket events for $connect, $default and $disconnect, and answers with $default's body", async () => {
    const client = await open('alice');
    expect(client.ws.protocol).toBe('hub.v1');
    const connect = invoked.find((i) => header(i.event, 'authorization') === 'Bearer alice');
    expect(connect?.name).toBe(realtime.routes.$connect);
    expect(connect?.event.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      identity: { sourceIp: '127.0.0.1' },
    });
    const id = connectionIdOf('alice');
    client.ws.send('{"action":"ping"}');
    expect(await client.next()).toBe('echo:{"action":"ping"}');
    expect(invoked.at(-1)?.event).toMatchObject({
      body: '{"action":"ping"}',
      requestContext: { routeKey: '$default', eventType: 'MESSAGE', connectionId: id },
    });
    // A message larger than one frame's 125-byte short form, to exercise the extended length.
    const long = 'x'.repeat(70_000);
    client.ws.send(long);
    expect(await client.next()).toBe(`echo:${long}`);
    client.ws.close();
    await new Promise<void>((resolve) => {
      const check = () =>
        invoked.some(
          (i) =>
            i.event.requestContext.eventType === 'DISCONNECT' && i.event.requestContext.connectionId === id,
        )
          ? resolve()
          : setTimeout(check, 20);
      check();
    });
  });

  it('closes every connection when it stops, each with its $disconnect', async () => {
    const own = new WebSocketGateway(host, new LocalConnections());
    const server = createServer((_req, res) => res.end());
    server.on('upgrade', (req, socket, head) => void own.upgrade(req, socket, head));
    const listening = await listenOnLoopback(server);
    const ws = new WebSocket(`${listening.endpoint.replace('http:', 'ws:')}${realtime.path}`, {
      protocols: ['hub.v1'],
      headers: { authorization: 'Bearer dave' },
    });
    await new Promise((r) => ws.addEventListener('open', r));
    const closed = new Promise<number>((r) => ws.addEventListener('close', (e) => r(e.code)));
    const id = connectionIdOf('dave');
    await own.stop();
    expect(await closed).toBe(1001);
    expect(
      invoked.some(
        (i) =>
          i.event.requestContext.eventType === 'DISCONNECT' && i.event.requestContext.connectionId === id,
      ),
    ).toBe(true);
    await listening.stop();
  });

  it('refuses the upgrade with the status $connect answered', async () => {
    await expect(open('refused')).rejects.toThrow('refused');
  });
});

describe("the emulator's Management API", () => {
  it('posts to an open connection for a function that may, and answers 410 once the client has gone', async () => {
    const client = await open('bob');
    const id = connectionIdOf('bob');
    expect(await posterAs('pushRealtimeEvents').post(id, '{"type":"event"}')).toBe('sent');
    expect(await client.next()).toBe('{"type":"event"}');
    client.ws.close();
    await new Promise<void>((resolve) => client.ws.addEventListener('close', () => resolve()));
    await expect(
      (async () => {
        for (;;) {
          if ((await posterAs('pushRealtimeEvents').post(id, '{}')) === 'gone') return 'gone';
        }
      })(),
    ).resolves.toBe('gone');
  });

  it('refuses a caller whose declared access does not allow execute-api:ManageConnections', async () => {
    await open('carol');
    const id = connectionIdOf('carol');
    const refused = posterAs('storeEvent').post(id, '{}');
    await expect(refused).rejects.toThrow(ManagementApiError);
    await expect(refused).rejects.toMatchObject({ status: 403 });
  });
});

describe('WebSocket frames', () => {
  const masked = (opcode: number, payload: Buffer, fin = true) => {
    const mask = Buffer.from([1, 2, 3, 4]);
    const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
    const header =
      payload.length < 126
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length])
        : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    return Buffer.concat([header, mask, body]);
  };

  it('reads masked frames as they arrive, keeping a partial one for later', () => {
    const whole = Buffer.concat([masked(1, Buffer.from('hello')), masked(1, Buffer.from('wor'), false)]);
    const { frames, rest } = decodeFrames(
      Buffer.concat([whole, masked(0, Buffer.from('ld')).subarray(0, 3)]),
    );
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).toEqual([
      [1, true, 'hello'],
      [1, false, 'wor'],
    ]);
    expect(rest).toHaveLength(3);
  });

  it('refuses an unmasked client frame and one over the message limit', () => {
    expect(() => decodeFrames(encodeFrame(1, Buffer.from('hi')))).toThrow(FrameError);
    const huge = Buffer.from([0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0]);
    expect(() => decodeFrames(huge)).toThrow(expect.objectContaining({ code: 1009 }));
  });
});
