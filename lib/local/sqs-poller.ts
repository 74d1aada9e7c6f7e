import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueueName, QueueSpec } from '../../shared/topology';
import { queues } from '../../shared/topology';
import type { FunctionHost } from './function-host';
import { localNames } from './local-names';
import type { LocalQueue } from './sqs-local';

export interface Poller {
  stop(): Promise<void>;
}

/**
 * Plays a Lambda SQS event source mapping with `reportBatchItemFailures`: receives a batch, calls
 * the consumer with a real SQSEvent, deletes what succeeded and leaves the failures to reappear
 * after the visibility timeout, until the queue's redrive policy parks them in the DLQ. It runs the
 * queue's `localConcurrency` receive loops side by side, as Lambda scales its pollers: one slow
 * batch holds only its own loop.
 */
export function startPoller(deps: {
  sqs: SQSClient;
  host: FunctionHost;
  name: QueueName;
  queue: LocalQueue;
  onError: (e: unknown) => void;
}): Poller {
  const spec: QueueSpec = queues[deps.name];
  let stopped = false;
  const receiveLoop = async () => {
    while (!stopped) {
      try {
        const out = await deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: deps.queue.url,
            MaxNumberOfMessages: spec.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length > 0) await deliver(messages);
      } catch (error) {
        if (!stopped) {
          deps.onError(error);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  };
  const loops = Array.from({ length: Math.max(1, spec.localConcurrency ?? 1) }, receiveLoop);

  async function deliver(messages: Message[]) {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, deps.queue.arn)) };
    let failed: Set<string>;
    try {
      const response = (await deps.host.invoke(spec.consumer, event)) as SQSBatchResponse | undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // A thrown handler fails the whole batch, as in Lambda.
      deps.onError(error);
      failed = new Set(messages.map((m) => String(m.MessageId)));
    }
    const done = messages.filter((m) => !failed.has(String(m.MessageId)));
    if (done.length > 0) {
      await deps.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: deps.queue.url,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

function toRecord(message: Message, arn: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  return {
    messageId: String(message.MessageId),
    receiptHandle: String(message.ReceiptHandle),
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? localNames.account,
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        {
          dataType: v.DataType ?? 'String',
          stringValue: v.StringValue,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: localNames.region,
  };
}
