import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * How long a dead-letter queue keeps a message: SQS's longest. SQS counts a moved message's age
 * from its first enqueue, so every source must keep its messages for less than this.
 */
export const DEAD_LETTER_RETENTION_DAYS = 14;

/** A dead-letter queue: encrypted, TLS-only, kept 14 days (SQS's longest), and alarmed by HubMonitoring. */
export function deadLetterQueue(scope: Construct, id: string, whose: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${whose}; its depth is alarmed.`,
  });
  return queue;
}
