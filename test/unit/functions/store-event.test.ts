import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/store-event/handler';
import { lambdaContext } from '../../support/api-events';
import { aCanonicalEvent } from '../../support/builders';

const ddb = mockClient(DynamoDBDocumentClient);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

const canonical = () => aCanonicalEvent({ tenantId: ORG });

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hub-events',
  awsRegion: 'us-east-1',
});

const envelope = (detail: unknown) =>
  JSON.stringify({
    version: '0',
    id: 'x',
    'detail-type': 'generic.build.finished',
    source: 'integration-hub.generic',
    time: 't',
    detail,
  });

/** The org as its item reads: every message's org is read (cached) before its work is done. */
const orgItem = (status: string) => ({
  Item: {
    PK: `T#${ORG}#ORG`,
    SK: 'PROFILE',
    id: ORG,
    name: 'Acme',
    slug: 'acme',
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    statusChangedAt: '2026-11-01T00:00:00.000Z',
    version: 1,
  },
});

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves(orgItem('active'));
});

describe('store-event worker', () => {
  it("stores each event in its org's feed, keyed by event id", async () => {
    ddb.on(PutCommand).resolves({});
    const event = canonical();
    const result = await handler({ Records: [record('m1', envelope(event))] } as SQSEvent, lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'hub-domain',
      Item: expect.objectContaining({ PK: `T#${ORG}#EVT`, SK: event.id }),
      ConditionExpression: 'attribute_not_exists(PK)',
    });
  });

  it('treats a redelivered event as done (idempotent)', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const result = await handler(
      { Records: [record('m1', envelope(canonical()))] } as SQSEvent,
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('reports only the failed records of a batch, so the rest are not retried', async () => {
    const good = canonical();
    const failing = canonical();
    ddb.on(PutCommand).callsFake(async (input: { Item: { SK: string } }) => {
      if (input.Item.SK === failing.id) throw new Error('throttled');
      return {};
    });
    const result = await handler(
      {
        Records: [
          record('ok', envelope(good)),
          record('bad-shape', '{"detail":{}}'),
          record('store-failed', envelope(failing)),
        ],
      } as SQSEvent,
      lambdaContext(),
    );
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: 'bad-shape' }, { itemIdentifier: 'store-failed' }],
    });
  });
});
