import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/publish-changes/handler';
import { lambdaContext } from '../../support/api-events';

const bus = mockClient(EventBridgeClient);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

const record = (
  seq: string,
  eventName: 'INSERT' | 'MODIFY',
  item: Record<string, unknown>,
): DynamoDBRecord => ({
  eventID: `id-${seq}`,
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: { SequenceNumber: seq, NewImage: marshall(item) as never, StreamViewType: 'NEW_AND_OLD_IMAGES' },
});
const org = (suffix: string) => ({
  PK: `T#org_01JD3Q4ZK8M7X2V9N6B5C4D3E${suffix}#ORG`,
  SK: 'PROFILE',
  id: `org_01JD3Q4ZK8M7X2V9N6B5C4D3E${suffix}`,
  name: 'A',
  slug: `a-${suffix}`,
  status: 'active',
  createdAt: '2026-11-27T10:00:00.000Z',
});

beforeEach(() => bus.reset());

describe('publish-changes stream worker', () => {
  it('publishes inserted orgs and ignores modifications and unannounced items', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const event: DynamoDBStreamEvent = {
      Records: [
        record('1', 'INSERT', org('2')),
        record('2', 'MODIFY', org('2')),
        record('3', 'INSERT', { PK: 'P#SLUG#a', SK: 'CLAIM', orgId: ORG }),
      ],
    };
    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({ Source: 'integration-hub.hub', DetailType: 'org.created' });
  });

  it('skips an unannounced item it cannot read, and still publishes the batch around it', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    // The feed item of a claim-checked event (its `data` left empty), as DynamoDB Local's stream
    // wrote it: the empty map without a type, which no unmarshaller reads.
    const feedItem = record('20', 'INSERT', { PK: `T#${ORG}#EVT`, SK: 'evt_01M8SB6AEAR5Q7NP936QJQKETN' });
    const image = feedItem.dynamodb?.NewImage as Record<string, unknown>;
    image.event = { M: { id: { S: 'evt_01M8SB6AEAR5Q7NP936QJQKETN' }, data: {} } };
    const event: DynamoDBStreamEvent = { Records: [feedItem, record('21', 'INSERT', org('5'))] };
    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      DetailType: 'org.created',
    });
  });

  it('reports a record the bus refused by its sequence number, so the stream retries from it', async () => {
    bus
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const event: DynamoDBStreamEvent = {
      Records: [record('10', 'INSERT', org('3')), record('11', 'INSERT', org('4'))],
    };
    await expect(handler(event, lambdaContext())).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: '11' }],
    });
  });
});
