import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import type { QueueName, StreamName } from '../../shared/topology';
import { queues, streams } from '../../shared/topology';
import { localNames } from './local-names';

export interface LocalQueue {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterUrl: string;
}

export interface SqsLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts the in-process SQS-compatible server; queues and messages persist in SQLite under `dir`. */
export async function startSqsLocal(dir: string): Promise<SqsLocal> {
  const dataDir = resolve(dir, 'sqs');
  mkdirSync(dataDir, { recursive: true });
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, dataDir });
  return { endpoint: server.address, stop: () => server.stop() };
}

async function queueUrl(sqs: SQSClient, QueueName: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl;
  } catch (error) {
    if (
      (error as Error).name === 'QueueDoesNotExist' ||
      (error as Error).name === 'AWS.SimpleQueueService.NonExistentQueue'
    ) {
      return undefined;
    }
    throw error;
  }
}

async function arnOf(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${url} has no ARN`);
  return arn;
}

/**
 * Creates the topology's queues and their DLQs, only where missing: re-creating a queue that
 * exists would empty it, and messages accepted before a restart must survive it.
 */
export async function ensureQueues(sqs: SQSClient): Promise<Record<QueueName, LocalQueue>> {
  const result = {} as Record<QueueName, LocalQueue>;
  for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
    const dlqName = localNames.deadLetterQueue(name);
    const deadLetterUrl =
      (await queueUrl(sqs, dlqName)) ??
      (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: dlqName,
            Attributes: { MessageRetentionPeriod: String(14 * 86400) },
          }),
        )
      ).QueueUrl;
    if (!deadLetterUrl) throw new Error(`Could not create ${dlqName}`);
    const mainName = localNames.queue(name);
    const url =
      (await queueUrl(sqs, mainName)) ??
      (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: mainName,
            Attributes: {
              VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
              MessageRetentionPeriod: String(spec.retentionDays * 86400),
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: await arnOf(sqs, deadLetterUrl),
                maxReceiveCount: spec.maxReceiveCount,
              }),
            },
          }),
        )
      ).QueueUrl;
    if (!url) throw new Error(`Could not create ${mainName}`);
    result[name] = { url, arn: await arnOf(sqs, url), deadLetterUrl };
  }
  return result;
}

/** The on-failure DLQ of each topology stream, created where missing. */
export async function ensureStreamDeadLetterQueues(sqs: SQSClient): Promise<Record<StreamName, string>> {
  const result = {} as Record<StreamName, string>;
  for (const name of Object.keys(streams) as StreamName[]) {
    const QueueName = localNames.streamDeadLetterQueue(name);
    const url =
      (await queueUrl(sqs, QueueName)) ??
      (
        await sqs.send(
          new CreateQueueCommand({ QueueName, Attributes: { MessageRetentionPeriod: String(14 * 86400) } }),
        )
      ).QueueUrl;
    if (!url) throw new Error(`Could not create ${QueueName}`);
    result[name] = url;
  }
  return result;
}
