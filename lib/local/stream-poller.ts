import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { _Record, GetRecordsCommandOutput, Shard } from '@aws-sdk/client-dynamodb-streams';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamName } from '../../shared/topology';
import { streams } from '../../shared/topology';
import { localCredentials } from './dynamodb-local';
import type { FunctionHost } from './function-host';
import { localNames } from './local-names';
import type { Poller } from './sqs-poller';

type Checkpoints = Record<string, string>;
const CLOSED = 'closed';

/**
 * Plays a Lambda event source mapping on a DynamoDB stream: shards in order (parents first),
 * batches in order within a shard, `batchItemFailures` retried from the first failed record,
 * and after `maxRetries` the failed range is reported to the stream's DLQ and skipped, as Lambda's
 * on-failure destination does. Checkpoints persist in the data dir, so a restart resumes.
 */
export function startStreamPoller(deps: {
  name: StreamName;
  dynamodbEndpoint: string;
  dataDir: string;
  host: FunctionHost;
  sqs: SQSClient;
  deadLetterUrl: string;
  onError: (error: unknown) => void;
}): Poller {
  const spec = streams[deps.name];
  const client = new DynamoDBStreamsClient({
    endpoint: deps.dynamodbEndpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const dir = join(deps.dataDir, 'stream-checkpoints');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${deps.name}.json`);
  const checkpoints: Checkpoints = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Checkpoints)
    : {};
  const save = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify(checkpoints));
    renameSync(`${file}.tmp`, file);
  };
  const iterators = new Map<string, string>();
  const retries = new Map<string, number>();
  /** A failed record to read again from, per shard. */
  const retryAt = new Map<string, string>();
  let stopped = false;
  let streamArn: string | undefined;

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    const known = iterators.get(shardId);
    if (known) return known;
    // AT the checkpoint (its record is then skipped) rather than AFTER it: DynamoDB Local refuses
    // AFTER_SEQUENCE_NUMBER on a shard's newest record.
    const at = retryAt.get(shardId) ?? checkpoints[shardId];
    try {
      const out = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(at
            ? { ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: at }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      return out.ShardIterator;
    } catch (error) {
      // The checkpoint is older than the stream's 24-hour retention: read what is left.
      if ((error as Error).name !== 'TrimmedDataAccessException') throw error;
      const out = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      return out.ShardIterator;
    }
  }

  async function deliver(shard: Shard, records: _Record[]): Promise<void> {
    const shardId = String(shard.ShardId);
    const event: DynamoDBStreamEvent = { Records: records.map((r) => toLambdaRecord(r, String(streamArn))) };
    let firstFailed: string | undefined;
    try {
      const response = (await deps.host.invoke(spec.consumer, event)) as DynamoDBBatchResponse | undefined;
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      firstFailed = records.find((r) => failed.has(String(r.dynamodb?.SequenceNumber)))?.dynamodb
        ?.SequenceNumber;
    } catch (error) {
      deps.onError(error);
      firstFailed = records[0]?.dynamodb?.SequenceNumber;
    }
    const failedAt =
      firstFailed === undefined ? -1 : records.findIndex((r) => r.dynamodb?.SequenceNumber === firstFailed);
    const done = failedAt === -1 ? records : records.slice(0, failedAt);
    const lastDone = done.at(-1)?.dynamodb?.SequenceNumber;
    if (lastDone) checkpoints[shardId] = lastDone;
    if (failedAt !== -1 && firstFailed !== undefined) {
      const attempts = (retries.get(shardId) ?? 0) + 1;
      if (attempts > spec.maxRetries) {
        // As Lambda's bisection would, isolate the one failing record: park it, and go on after it.
        await deps.sqs.send(
          new SendMessageCommand({
            QueueUrl: deps.deadLetterUrl,
            MessageBody: JSON.stringify({
              requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: attempts },
              DDBStreamBatchInfo: {
                shardId,
                startSequenceNumber: firstFailed,
                endSequenceNumber: firstFailed,
                batchSize: 1,
                streamArn,
              },
            }),
          }),
        );
        checkpoints[shardId] = firstFailed;
        retries.delete(shardId);
        retryAt.delete(shardId);
      } else {
        retries.set(shardId, attempts);
        retryAt.set(shardId, firstFailed);
      }
      iterators.delete(shardId);
    } else {
      retries.delete(shardId);
      retryAt.delete(shardId);
    }
    save();
  }

  async function pollOnce(): Promise<boolean> {
    streamArn ??= (await client.send(new ListStreamsCommand({ TableName: localNames.table(spec.table) })))
      .Streams?.[0]?.StreamArn;
    if (!streamArn) return false;
    const shards =
      (await client.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ??
      [];
    const ids = new Set(shards.map((s) => s.ShardId));
    let busy = false;
    for (const shard of shards) {
      const shardId = String(shard.ShardId);
      if (checkpoints[shardId] === CLOSED) continue;
      // Lambda finishes a parent shard before reading its children, to keep each item's changes in order.
      if (shard.ParentShardId && ids.has(shard.ParentShardId) && checkpoints[shard.ParentShardId] !== CLOSED)
        continue;
      const iterator = await iteratorFor(shardId);
      if (!iterator) continue;
      let out: GetRecordsCommandOutput;
      try {
        out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: spec.batchSize }));
      } catch (error) {
        // An expired iterator, or one DynamoDB Local now calls trimmed: read again from the checkpoint.
        if (['ExpiredIteratorException', 'TrimmedDataAccessException'].includes((error as Error).name)) {
          iterators.delete(shardId);
          continue;
        }
        throw error;
      }
      const done = checkpoints[shardId];
      // Skip what the checkpoint already covers (the iterator starts AT it).
      const records = (out.Records ?? []).filter(
        (r) => done === undefined || BigInt(String(r.dynamodb?.SequenceNumber)) > BigInt(done),
      );
      if (records.length > 0) {
        busy = true;
        iterators.set(shardId, String(out.NextShardIterator));
        await deliver(shard, records);
      } else if (out.NextShardIterator) {
        iterators.set(shardId, out.NextShardIterator);
      } else {
        checkpoints[shardId] = CLOSED;
        iterators.delete(shardId);
        save();
      }
    }
    return busy;
  }

  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        busy = await pollOnce();
      } catch (error) {
        if (!stopped) deps.onError(error);
      }
      if (!busy && !stopped) await new Promise((r) => setTimeout(r, 200));
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      await loop;
      client.destroy();
    },
  };
}

function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: localNames.region,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d?.ApproximateCreationDateTime
        ? d.ApproximateCreationDateTime.getTime() / 1000
        : undefined,
      Keys: d?.Keys as never,
      NewImage: lambdaImage(d?.NewImage) as never,
      OldImage: lambdaImage(d?.OldImage) as never,
      SequenceNumber: d?.SequenceNumber,
      SizeBytes: d?.SizeBytes,
      StreamViewType: d?.StreamViewType,
    },
  };
}

type StreamValue = Record<string, unknown>;

/**
 * An image as Lambda delivers it. DynamoDB Local writes an empty map into its stream as `{}`, with
 * no type, which no unmarshaller reads; the real stream (and so Lambda) writes `{"M": {}}`.
 */
function lambdaImage(image: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!image) return image;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, lambdaValue(v as StreamValue)]));
}

function lambdaValue(value: StreamValue): StreamValue {
  if (value === null || typeof value !== 'object') return value;
  if (Object.keys(value).length === 0) return { M: {} };
  if (value.M && typeof value.M === 'object') return { M: lambdaImage(value.M as Record<string, unknown>) };
  if (Array.isArray(value.L)) return { L: value.L.map((v) => lambdaValue(v as StreamValue)) };
  return value;
}
