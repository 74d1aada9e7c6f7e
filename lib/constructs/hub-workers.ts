import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName, QueueName, StreamName, TableName } from '../../shared/topology';
import { queues, streams } from '../../shared/topology';
import { deadLetterQueue } from './dead-letter-queue';

export interface HubWorkersProps {
  /** The topology's functions, by name, to attach as consumers. */
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /** The topology's tables, by name, whose streams feed consumers. */
  readonly tables: Readonly<Record<TableName, ITable>>;
}

/**
 * The topology's queues, each with a DLQ, wired to its consumer with partial batch failure
 * reporting: a failed message is retried alone, then parked in the DLQ after its max receives.
 * Likewise its table streams, whose exhausted batches are reported to an on-failure DLQ.
 */
export class HubWorkers extends Construct {
  readonly queues = {} as Record<QueueName, Queue>;
  readonly deadLetterQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: HubWorkersProps) {
    super(scope, id);
    for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      const dlq = deadLetterQueue(this, `${name}Dlq`, `the ${name} queue`);
      const queue = new Queue(this, `${name}Queue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(spec.retentionDays),
        deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount },
      });
      props.functions[spec.consumer].addEventSource(
        new SqsEventSource(queue, {
          batchSize: spec.batchSize,
          maxBatchingWindow:
            spec.maxBatchingWindowSeconds > 0 ? Duration.seconds(spec.maxBatchingWindowSeconds) : undefined,
          reportBatchItemFailures: true,
        }),
      );
      this.queues[name] = queue;
      this.deadLetterQueues[name] = dlq;
    }
    for (const [name, spec] of Object.entries(streams) as [StreamName, (typeof streams)[StreamName]][]) {
      const dlq = deadLetterQueue(this, `${name}StreamDlq`, `the ${name} stream (on-failure destination)`);
      props.functions[spec.consumer].addEventSource(
        new DynamoEventSource(props.tables[spec.table], {
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: spec.batchSize,
          retryAttempts: spec.maxRetries,
          bisectBatchOnError: true,
          reportBatchItemFailures: true,
          onFailure: new SqsDlq(dlq),
        }),
      );
      this.deadLetterQueues[`${name}Stream`] = dlq;
    }
  }
}
