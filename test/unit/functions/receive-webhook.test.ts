import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/receive-webhook/handler';
import { newWebhookSecret } from '../../../shared/connectors/create-connection';
import { apiEvent, lambdaContext, parse } from '../../support/api-events';
import { signedHeaders } from '../../support/webhooks';

const docs = mockClient(DynamoDBDocumentClient);
const ddb = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const bus = mockClient(EventBridgeClient);

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const secret = newWebhookSecret();
const payload = JSON.stringify({ type: 'build.finished', data: { ok: true } });

const deliver = (body: string, headers: Record<string, string>, connectionId = CON) =>
  handler(
    apiEvent({
      method: 'POST',
      path: `/webhooks/generic/${connectionId}`,
      routePath: '/webhooks/generic/{connectionId}',
      rawBody: body,
      headers,
      pathParameters: { connectionId },
    }),
    lambdaContext(),
  );

beforeEach(() => {
  for (const m of [docs, ddb, kms, bus]) m.reset();
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
});

describe('POST /webhooks/generic/{connectionId}', () => {
  it('verifies, normalises and publishes a delivery, then answers 202', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const res = parse(await deliver(payload, signedHeaders(secret, payload, 'msg_a')));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ duplicate: false });
    const entry = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'hub-events',
      Source: 'integration-hub.generic',
      DetailType: 'generic.build.finished',
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
});
