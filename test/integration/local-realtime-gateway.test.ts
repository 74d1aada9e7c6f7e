import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { WebSocket } from 'undici';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { listenOnLoopback } from '../../lib/local/free-port';
import type { FunctionHost } from '../../lib/local/function-host';
import { functionCredentials, LocalIam } from '../../lib/local/local-iam';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import { LocalConnections, WebSocketGateway } from '../../lib/local/websocket-gateway';
import { ManagementApiPoster } from '../../shared/adapters/apigateway/management-api-poster';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../shared/realtime/protocol';
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

const clientAs = (name: FunctionName) =>
  new ApiGatewayManagementApiClient({
    endpoint: aws.endpoint,
    region: localNames.region,
    credentials: async () => functionCredentials(name),
  });
const posterAs = (name: FunctionName) => new ManagementApiPoster(clientAs(name));

const disconnected = (id: string) =>
  new Promise<Json>((resolve) => {
    const check = () => {
      const found = invoked.find(
        (i) =>
          i.event.requestContext.eventType === 'DISCONNECT' && i.event.requestContext.connectionId === id,
      );
      if (found) resolve(found.event);
      else setTimeout(check, 20);
    };
    check();
  });

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
    // A message past the frame's 125-byte short form, up to the protocol's cap, still reaches the route.
    const long = 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES);
    client.ws.send(long);
    expect(await client.next()).toBe(`echo:${long}`);
    client.ws.close();
    expect((await disconnected(id)).requestContext).toMatchObject({
      routeKey: '$disconnect',
      disconnectStatusCode: 1005,
    });
  });

  it('closes a connection with 1009 for a message over the protocol cap, unread, and runs its $disconnect', async () => {
    const client = await open('erin');
    const id = connectionIdOf('erin');
    const closed = new Promise<number>((r) => client.ws.addEventListener('close', (e) => r(e.code)));
    client.ws.send('x'.repeat(MAX_CLIENT_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    await disconnected(id);
    expect(
      invoked.some(
        (i) => i.event.requestContext.eventType === 'MESSAGE' && i.event.requestContext.connectionId === id,
      ),
    ).toBe(false);
  });

  it('closes a connection with 1003 for a binary message (the protocol is JSON text)', async () => {
    const client = await open('frank');
    const id = connectionIdOf('frank');
    const closed = new Promise<number>((r) => client.ws.addEventListener('close', (e) => r(e.code)));
    client.ws.send(new Uint8Array([1, 2, 3]));
    expect(await closed).toBe(1003);
    expect((await disconnected(id)).requestContext.disconnectStatusCode).toBe(1003);
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

  it('runs $disconnect for a client that left while $connect ran', async () => {
    const seen: Json[] = [];
    let admit: () => void = () => undefined;
    let connecting: () => void = () => undefined;
    const started = new Promise<void>((r) => {
      connecting = r;
    });
    const slow = {
      invoke: async (_name: FunctionName, event: Json) => {
        seen.push(event);
        if (event.requestContext.eventType !== 'CONNECT') return { statusCode: 200 };
        connecting();
        await new Promise<void>((r) => {
          admit = r;
        });
        return { statusCode: 200 };
      },
    } as unknown as FunctionHost;
    const own = new WebSocketGateway(slow, new LocalConnections());
    const server = createServer((_req, res) => res.end());
    server.on('upgrade', (req, socket, head) => void own.upgrade(req, socket, head));
    const listening = await listenOnLoopback(server);
    const client = request(`${listening.endpoint}${realtime.path}`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
        'sec-websocket-version': '13',
      },
    });
    client.on('error', () => undefined);
    client.end();
    await started;
    client.destroy();
    admit();
    const id = seen[0]?.requestContext.connectionId;
    await new Promise<void>((resolve) => {
      const check = () => (seen.length > 1 ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(seen.map((e) => [e.requestContext.eventType, e.requestContext.connectionId])).toEqual([
      ['CONNECT', id],
      ['DISCONNECT', id],
    ]);
    await listening.stop();
  });

  it('refuses the upgrade with the status, type and body $connect answered', async () => {
    await expect(open('refused')).rejects.toThrow('refused');
    const { port } = new URL(gatewayUrl);
    const answer = await new Promise<{ status?: number; type?: string; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: realtime.path,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
          'sec-websocket-version': '13',
          authorization: 'Bearer refused',
        },
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 403, type: 'application/problem+json', body: '{"status":403}' });
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

  it("answers the SDK's GetConnection and DeleteConnection, then GoneException", async () => {
    const client = await open('grace');
    const id = connectionIdOf('grace');
    const sdk = clientAs('pushRealtimeEvents');
    const got = await sdk.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(got.ConnectedAt).toBeInstanceOf(Date);
    expect(got.LastActiveAt).toBeInstanceOf(Date);
    expect(got.Identity?.SourceIp).toBe('127.0.0.1');
    const closed = new Promise<number>((r) => client.ws.addEventListener('close', (e) => r(e.code)));
    await sdk.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect(await closed).toBe(1000);
    await expect(sdk.send(new GetConnectionCommand({ ConnectionId: id }))).rejects.toBeInstanceOf(
      GoneException,
    );
  });

  it('answers a malformed connection id in the path with a 400, and keeps serving', async () => {
    const sdk = clientAs('pushRealtimeEvents');
    sdk.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { path: string }).path = '/@connections/%E0%A4%A';
        return next(args);
      },
      { step: 'build' },
    );
    await expect(sdk.send(new GetConnectionCommand({ ConnectionId: 'x' }))).rejects.toMatchObject({
      name: 'BadRequestException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(await posterAs('pushRealtimeEvents').post('wsc_gone', '{}')).toBe('gone');
  });

  it('refuses a caller whose declared access does not allow execute-api:ManageConnections', async () => {
    await open('carol');
    const id = connectionIdOf('carol');
    const refused = posterAs('storeEvent').post(id, '{}');
    await expect(refused).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('answers GoneException (410) for a connection it never had, whatever characters its id has', async () => {
    expect(await posterAs('pushRealtimeEvents').post('wsc_no/such id?', '{}')).toBe('gone');
  });
});
