import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  ChangeMessageVisibilityCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { ValidationError } from '../../errors';
import type { MessageQueues } from '../../ports/message-queue';

/** The topology's queues through SQS: visibility changes for retries, sends for redrives. */
export class SqsMessageQueues implements MessageQueues {
  private readonly urlsByArn = new Map<string, string>();

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Readonly<Record<string, string>>,
  ) {}

  private async urlOf(arn: string): Promise<string> {
    const known = this.urlsByArn.get(arn);
    if (known) return known;
    const [, , , , account, name] = arn.split(':');
    const out = await this.client.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
    );
    if (!out.QueueUrl) throw new Error(`No URL for queue ${arn}`);
    this.urlsByArn.set(arn, out.QueueUrl);
    return out.QueueUrl;
  }

  async delay(sourceArn: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await this.urlOf(sourceArn),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  async send(
    queue: string,
    body: string,
    options: { readonly delaySeconds?: number; readonly groupId?: string } = {},
  ): Promise<void> {
    const url = this.queueUrls[queue];
    if (!url) throw new ValidationError(`No queue ${queue}`);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        DelaySeconds: options.delaySeconds,
        MessageGroupId: options.groupId,
      }),
    );
  }

  async sendBatch(
    queue: string,
    messages: readonly { readonly body: string; readonly delaySeconds?: number; readonly groupId?: string }[],
  ): Promise<void> {
    const url = this.queueUrls[queue];
    if (!url) throw new ValidationError(`No queue ${queue}`);
    const chunks: (typeof messages)[] = [];
    for (let i = 0; i < messages.length; i += 10) chunks.push(messages.slice(i, i + 10));
    // Side by side: a fan-out to many destinations is queued in the time of a few calls.
    const failed = await Promise.all(
      chunks.map(async (chunk) => {
        const out = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((m, i) => ({
              Id: String(i),
              MessageBody: m.body,
              DelaySeconds: m.delaySeconds,
              MessageGroupId: m.groupId,
            })),
          }),
        );
        return out.Failed?.length ?? 0;
      }),
    );
    const count = failed.reduce((a, b) => a + b, 0);
    if (count > 0) throw new Error(`SQS refused ${count} of ${messages.length} messages for ${queue}`);
  }
}
