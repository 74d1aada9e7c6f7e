import type { Message } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { FunctionHost } from '../../lib/local/function-host';
import type { Poller } from '../../lib/local/sqs-poller';
import { startStreamPoller } from '../../lib/local/stream-poller';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';
import { eventually } from '../support/runtime-process';

let aws: LocalAws;
let poller: Poller | undefined;
beforeAll(async () => {
  aws = await startLocalAws({ own: true });
});
afterAll(async () => {
  await poller?.stop();
  await aws?.stop();
});

describe('local DynamoDB Streams event source', () => {
  it('delivers inserts in order, retries a failing record, then parks it in the DLQ and moves on', async () => {
    const dlqUrl = String(
      (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'stream-dlq-test' }))).QueueUrl,
    );
    const delivered: string[] = [];
    const errors: unknown[] = [];
    let poisonAttempts = 0;
    const host = {
      invoke: async (_name: string, event: DynamoDBStreamEvent) => {
        const failures: { itemIdentifier: string }[] = [];
        for (const r of event.Records) {
          const item = unmarshall((r.dynamodb?.NewImage ?? {}) as never) as { SK: string };
          if (item.SK === 'poison') {
            poisonAttempts++;
            failures.push({ itemIdentifier: String(r.dynamodb?.SequenceNumber) });
            break;
          }
          delivered.push(item.SK);
        }
        return { batchItemFailures: failures };
      },
    } as unknown as FunctionHost;
    const start = () =>
      startStreamPoller({
        name: 'domainChanges',
        dynamodbEndpoint: aws.endpoints.dynamodb,
        dataDir: aws.dir,
        host,
        sqs: aws.sqs,
        deadLetterUrl: dlqUrl,
        onError: (e) => errors.push(e),
      });
    poller = start();
    const put = (sk: string) =>
      aws.docs.send(
        new PutCommand({ TableName: aws.tables.domainTable, Item: { PK: 'T#org_TEST#X', SK: sk } }),
      );
    for (const sk of ['one', 'two', 'poison']) await put(sk);
    // The poison is the shard's newest record when it is parked: the poller must still move on.
    await eventually(async () => (poisonAttempts === 11 ? true : undefined), 30_000);
    await put('three');
    await eventually(async () => (delivered.includes('three') ? true : undefined), 30_000);
    expect(delivered.filter((sk) => sk !== 'poison')).toEqual(['one', 'two', 'three']);
    expect(poisonAttempts).toBe(11);

    const parked: Message[] =
      (await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }))).Messages ??
      [];
    expect(parked).toHaveLength(1);
    expect(JSON.parse(String(parked[0]?.Body))).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      DDBStreamBatchInfo: { batchSize: 1 },
    });

    // A restart resumes after its checkpoint: nothing is delivered twice, nothing new is missed.
    await poller.stop();
    poller = start();
    await put('four');
    await eventually(async () => (delivered.includes('four') ? true : undefined), 30_000);
    expect(delivered.filter((sk) => sk !== 'poison')).toEqual(['one', 'two', 'three', 'four']);
    expect(errors).toEqual([]);
  });

  it('delivers empty maps as Lambda does, so an item holding one can be read', async () => {
    await poller?.stop();
    const images: Record<string, unknown>[] = [];
    const host = {
      invoke: async (_name: string, event: DynamoDBStreamEvent) => {
        // Unmarshalling throws on an attribute value it cannot read, as the stream consumer's does.
        for (const r of event.Records) images.push(unmarshall((r.dynamodb?.NewImage ?? {}) as never));
        return { batchItemFailures: [] };
      },
    } as unknown as FunctionHost;
    const errors: unknown[] = [];
    poller = startStreamPoller({
      name: 'domainChanges',
      dynamodbEndpoint: aws.endpoints.dynamodb,
      dataDir: aws.dir,
      host,
      sqs: aws.sqs,
      deadLetterUrl: 'http://127.0.0.1:1/unused',
      onError: (e) => errors.push(e),
    });
    const item = { PK: 'T#org_TEST#X', SK: 'empty', settings: {}, nested: { inner: {}, list: [{}, []] } };
    await aws.docs.send(new PutCommand({ TableName: aws.tables.domainTable, Item: item }));
    await eventually(async () => (images.some((i) => i.SK === 'empty') ? true : undefined), 30_000);
    expect(images.find((i) => i.SK === 'empty')).toEqual(item);
    expect(errors).toEqual([]);
  });
});
