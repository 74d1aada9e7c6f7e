import type { CfnElement } from 'aws-cdk-lib';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName, QueueName, ScheduleName, StreamName, TableName } from '../../shared/topology';
import { queues, schedules, streams } from '../../shared/topology';
import { DEAD_LETTER_RETENTION_DAYS, deadLetterQueue } from './dead-letter-queue';

export interface HubWorkersProps {
  /** The topology's functions, by name, to attach as consumers. */
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /** The topology's tables, by name, whose streams feed consumers. */
  readonly tables: Readonly<Record<TableName, ITable>>;
}

/**
 * The topology's queues, each with a DLQ, wired to its consumer with partial batch failure
 * reporting: a failed message is retried alone, then parked in the DLQ after its max receives.
 * Likewise its table streams, whose exhausted batches are reported to an on-failure DLQ, and its
 * schedules, whose undeliverable invocations are parked too.
 */
export class HubWorkers extends Construct {
  readonly queues = {} as Record<QueueName, Queue>;
  readonly deadLetterQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: HubWorkersProps) {
    super(scope, id);
    for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      // SQS keeps a message's first enqueue time when it parks it: a source kept as long as its DLQ
      // would park messages that expire before anyone sees them.
      if (spec.retentionDays >= DEAD_LETTER_RETENTION_DAYS) {
        throw new Error(
          `The ${name} queue keeps messages ${spec.retentionDays} days; keep them fewer than its DLQ's ${DEAD_LETTER_RETENTION_DAYS}`,
        );
      }
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
    for (const [name, spec] of Object.entries(schedules) as [
      ScheduleName,
      (typeof schedules)[ScheduleName],
    ][]) {
      const dlq = deadLetterQueue(this, `${name}ScheduleDlq`, `the ${name} schedule`);
      const role = new Role(this, `${name}ScheduleRole`, {
        assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      });
      new Schedule(this, `${name}Schedule`, {
        description: spec.description,
        schedule: ScheduleExpression.rate(Duration.minutes(spec.everyMinutes)),
        target: new LambdaInvoke(props.functions[spec.function], {
          role,
          retryAttempts: 3,
          deadLetterQueue: dlq,
        }),
      });
      const fn = props.functions[spec.function];
      const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason:
          "Lambda's invoke grant covers the function's versions (<arn>:*); the role invokes this one function only.",
      });
      this.deadLetterQueues[`${name}Schedule`] = dlq;
    }
  }
}
