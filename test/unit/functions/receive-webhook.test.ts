import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, makeHandler } from '../../../functions/receive-webhook/handler';
import { newWebhookSecret } from '../../../shared/connectors/create-connection';
import { apiEvent, lambdaContext, parse } from '../../support/api-events';
import { signedHeaders } from '../../support/webhooks';

const docs = mockClient(DynamoDBDocumentClient);
const ddb = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const bus = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const secret = newWebhookSecret();
const payload = JSON.stringify({ type: 'build.finished', data: { ok: true } });

const deliver = (body: string, headers: Record<string, string>, connectionId = CON, provider = 'generic') =>
  handler(
    apiEvent({
      method: 'POST',
      path: `/webhooks/${provider}/${connectionId}`,
      routePath: '/webhooks/{provider}/{connectionId}',
      rawBody: body,
      headers,
      pathParameters: { provider, connectionId },
    }),
    lambdaContext(),
  );

beforeAll(() => {
  // Read when the first event too large for the bus is claim-checked.
  process.env.CLAIMS_BUCKET_NAME = 'hub-claims';
});

beforeEach(() => {
  for (const m of [docs, ddb, kms, bus, s3]) m.reset();
  docs.on(GetCommand, { Key: { PK: `P#WEBHOOK#${CON}`, SK: 'ROUTE' } }).resolves({
    Item: {
      route: {
        orgId: ORG,
        connectionId: CON,
        provider: 'generic',
        status: 'active',
        encryptedSecret: 'Y2lwaGVy',
      },
    },
  });
  docs.on(GetCommand, { Key: { PK: `T#${ORG}#ORG`, SK: 'PROFILE' } }).resolves({
    Item: {
      id: ORG,
      name: 'Acme',
      slug: 'acme',
      status: 'active',
      plan: 'free',
      createdAt: '2026-11-27T10:00:00.000Z',
    },
  });
  docs.on(UpdateCommand).resolves({});
  kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from(secret) });
  ddb.on(PutItemCommand).resolves({});
  ddb.on(UpdateItemCommand).resolves({});
  ddb.on(DeleteItemCommand).resolves({});
  ddb.on(GetItemCommand).resolves({});
});

/** The daily allowance's counter updates (conditional on the limit), as opposed to the hourly meter's. */
const allowanceSpent = () =>
  docs.commandCalls(UpdateCommand).filter((c) => c.args[0].input.ConditionExpression !== undefined).length;

/**
 * The idempotency table as DynamoDB would keep it: what the ledger completes, a later claim of the
 * same key finds (the conditional put fails with the stored record, as DynamoDB returns it).
 */
function rememberDeliveries() {
  const items = new Map<string, Record<string, AttributeValue>>();
  ddb.on(PutItemCommand).callsFake((input: PutItemCommand['input']) => {
    const id = String(input.Item?.id?.S);
    const existing = items.get(id);
    if (existing)
      throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: existing });
    items.set(id, input.Item as Record<string, AttributeValue>);
    return {};
  });
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommand['input']) => {
    const id = String(input.Key?.id?.S);
    const values = input.ExpressionAttributeValues ?? {};
    items.set(id, {
      id: { S: id },
      status: values[':status'] as AttributeValue,
      expiration: values[':expiry'] as AttributeValue,
      ...(values[':response_data'] ? { data: values[':response_data'] } : {}),
    });
    return {};
  });
  ddb.on(GetItemCommand).callsFake((input: GetItemCommand['input']) => ({
    Item: items.get(String(input.Key?.id?.S)),
  }));
}

describe('POST /webhooks/{provider}/{connectionId}', () => {
  it('verifies, normalises and publishes a delivery, then answers 202', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const res = parse(await deliver(payload, signedHeaders(secret, payload, 'msg_a')));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ duplicate: false });
    const entry = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'hub-events',
      Source: 'integration-hub.generic',
      DetailType: 'custom.build.finished',
    });
    const detail = JSON.parse(String(entry?.Detail));
    expect(detail).toMatchObject({
      id: res.json.eventId,
      tenantId: ORG,
      source: { provider: 'generic', connectionId: CON },
      data: { ok: true },
      raw: { deliveryId: 'msg_a' },
    });
    // The decryption is bound to the org and connection.
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      EncryptionContext: { orgId: ORG, connectionId: CON, purpose: 'webhook' },
    });
  });

  it('answers 503 when the bus does not accept the event, and forgets the delivery so the retry is processed', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const res = parse(await deliver(payload, signedHeaders(secret, payload, 'msg_b')));
    expect(res.status).toBe(503);
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 0);
  });

  it("answers 429 with Retry-After once the org's daily allowance is spent, and publishes nothing", async () => {
    docs.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'limit', $metadata: {} }));
    const res = parse(await deliver(payload, signedHeaders(secret, payload)));
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(86_400);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('refuses a bad signature with 401 and publishes nothing', async () => {
    const headers = { ...signedHeaders(secret, payload), 'webhook-signature': 'v1,bm90IGEgc2lnbmF0dXJl' };
    const res = parse(await deliver(payload, headers));
    expect(res.status).toBe(401);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('refuses a delivery signed with another secret', async () => {
    const res = parse(await deliver(payload, signedHeaders(newWebhookSecret(), payload)));
    expect(res.status).toBe(401);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('refuses a replay outside the timestamp tolerance', async () => {
    const old = new Date(Date.now() - 10 * 60_000);
    const res = parse(await deliver(payload, signedHeaders(secret, payload, 'msg_old', old)));
    expect(res.status).toBe(401);
    expect(res.json.detail).toMatch(/too old/);
  });

  it('answers 400 to a signed body that is not JSON or not a Standard Webhooks payload', async () => {
    for (const body of ['{"type":', JSON.stringify({ data: {} }), JSON.stringify({ type: 'has spaces' })]) {
      const res = parse(await deliver(body, signedHeaders(secret, body)));
      expect(res.status).toBe(400);
    }
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('answers 404 to an unknown connection, without reading any secret', async () => {
    docs.on(GetCommand).resolves({});
    const res = parse(
      await deliver(payload, signedHeaders(secret, payload), 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E9'),
    );
    expect(res.status).toBe(404);
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 0);
    const notAnId = parse(await deliver(payload, signedHeaders(secret, payload), '..%2F..%2Fetc'));
    expect(notAnId.status).toBe(404);
  });

  it('answers 404 problem+json to a provider no module declares, before reading the connection or any secret', async () => {
    for (const provider of ['gitlub', 'constructor', 'GitHub', '..']) {
      const res = parse(await deliver(payload, signedHeaders(secret, payload), CON, provider));
      expect({ provider, status: res.status }).toEqual({ provider, status: 404 });
      expect(res.headers?.['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(docs).toHaveReceivedCommandTimes(GetCommand, 0);
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 0);
  });

  it("answers 404 to a delivery on another provider's route than its connection's, without reading its secret", async () => {
    const res = parse(await deliver(payload, signedHeaders(secret, payload), CON, 'github'));
    expect(res.status).toBe(404);
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 0);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('spends one unit of the daily allowance however often one delivery is replayed', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    rememberDeliveries();
    const headers = signedHeaders(secret, payload, 'msg_replayed');
    const first = parse(await deliver(payload, headers));
    expect(first.status).toBe(202);
    for (let i = 0; i < 5; i++) {
      const replay = parse(await deliver(payload, headers));
      expect(replay.status).toBe(202);
      expect(replay.json).toEqual({ eventId: first.json.eventId, duplicate: true });
    }
    expect(allowanceSpent()).toBe(1);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('answers 413 to a body over 5 MiB, before reading the connection, its secret or the bus', async () => {
    const big = JSON.stringify({ type: 'build.finished', data: { log: 'x'.repeat(5 * 1024 * 1024) } });
    const res = parse(await deliver(big, signedHeaders(secret, big)));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json.detail).toMatch(/at most 5242880 bytes \(5 MiB\)/);
    expect(docs).toHaveReceivedCommandTimes(GetCommand, 0);
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 0);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('answers 400 to a body nested deeper than 128 levels, 20,000 deep included, and publishes nothing', async () => {
    const nested = (depth: number) =>
      JSON.stringify({
        type: 'build.finished',
        data: { v: JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) },
      });
    const deep = `{"type":"build.finished","data":{"v":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    for (const body of [nested(127), deep]) {
      const res = parse(await deliver(body, signedHeaders(secret, body)));
      expect(res.status).toBe(400);
      expect(res.json.detail).toMatch(/deeper than 128 levels/);
    }
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    // Brackets inside strings are text, not nesting.
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const text = JSON.stringify({ type: 'build.finished', data: { v: '['.repeat(20_000) } });
    expect(parse(await deliver(text, signedHeaders(secret, text))).status).toBe(202);
  });

  it('stores an event too large for the bus whole under its tenant and publishes a reference in its place', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    s3.on(PutObjectCommand).resolves({});
    const big = JSON.stringify({ type: 'build.finished', data: { log: 'é'.repeat(200 * 1024) } });
    const res = parse(await deliver(big, signedHeaders(secret, big, 'msg_big')));
    expect(res.status).toBe(202);
    const put = s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input)
      .find((i) => i.Key === `T#${ORG}/events/${res.json.eventId}.json`);
    expect(put).toBeDefined();
    const stored = JSON.parse(Buffer.from(put?.Body as Uint8Array).toString('utf8'));
    expect(stored).toMatchObject({
      id: res.json.eventId,
      tenantId: ORG,
      data: { log: 'é'.repeat(200 * 1024) },
    });
    const entry = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({ Source: 'integration-hub.generic', DetailType: 'custom.build.finished' });
    const detail = JSON.parse(String(entry?.Detail));
    expect(detail).toMatchObject({
      id: res.json.eventId,
      tenantId: ORG,
      source: { provider: 'generic', connectionId: CON },
      claim: { key: put?.Key, bytes: Buffer.from(put?.Body as Uint8Array).length },
    });
    expect(detail).not.toHaveProperty('data');
    expect(Buffer.byteLength(String(entry?.Detail))).toBeLessThan(2048);
  });
});

describe('the raw delivery kept by the endpoint', () => {
  it('stores the body as received under the org, connection and its hash before answering 202', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    s3.on(PutObjectCommand).resolves({});
    const res = parse(await deliver(payload, signedHeaders(secret, payload, 'msg_raw')));
    expect(res.status).toBe(202);
    const sha256 = JSON.parse(
      String(bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail),
    ).raw.sha256;
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Key).toBe(`T#${ORG}/raw/${CON}/${sha256}.body`);
    expect(Buffer.from(put?.Body as Uint8Array).toString('utf8')).toBe(payload);
  });

  it('answers 5xx and publishes nothing when the raw body cannot be stored, so the provider retries', async () => {
    s3.on(PutObjectCommand).rejects(new Error('SlowDown'));
    const res = parse(await deliver(payload, signedHeaders(secret, payload, 'msg_raw_fail')));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe("a provider's challenge of the endpoint", () => {
  it("is answered with its module's reply, status, headers and body as they are", async () => {
    const answer = makeHandler(async () => ({
      orgId: ORG,
      ignored: true,
      reply: { status: 200, headers: { 'x-hook-secret': 'hs-1' }, body: { challenge: 'c-1' } },
    }));
    const res = parse(
      await answer(
        apiEvent({
          method: 'POST',
          path: `/webhooks/generic/${CON}`,
          routePath: '/webhooks/{provider}/{connectionId}',
          rawBody: '{}',
          headers: {},
          pathParameters: { provider: 'generic', connectionId: CON },
        }),
        lambdaContext(),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers?.['x-hook-secret']).toBe('hs-1');
    expect(res.json).toEqual({ challenge: 'c-1' });
  });
});
