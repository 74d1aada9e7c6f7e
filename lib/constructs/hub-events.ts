import { Duration } from 'aws-cdk-lib';
import { Archive, EventBus, type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueName, RuleSpec } from '../../shared/topology';
import { EVENT_SOURCE_PREFIX, rules } from '../../shared/topology';
import { deadLetterQueue } from './dead-letter-queue';

export interface HubEventsProps {
  /** Days the archive keeps events for replay. @default 365 */
  readonly archiveRetentionDays?: number;
}

/** The custom bus, its archive (replay), and the topology's rules routing canonical events to queues. */
export class HubEvents extends Construct {
  readonly bus: EventBus;
  /** Events EventBridge could not deliver to a target, kept for inspection and redrive. */
  readonly deliveryDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: HubEventsProps = {}) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'Integration Hub canonical events' });
    new Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      description: 'Every canonical event, for replay',
      eventPattern: { source: [{ prefix: EVENT_SOURCE_PREFIX }] as unknown as string[] },
      retention: Duration.days(props.archiveRetentionDays ?? 365),
    });
    this.deliveryDeadLetterQueue = deadLetterQueue(this, 'DeliveryDlq', "the bus's rule targets");
  }

  /**
   * Adds the topology's rules, targeting its queues: on the hub's bus, or on the account's default
   * bus for a rule that listens to an AWS service's events (SES publishes its mail events there).
   */
  routeToQueues(targets: Readonly<Record<QueueName, IQueue>>): void {
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    for (const [name, rule] of Object.entries(rules) as [string, RuleSpec][]) {
      new Rule(this, `${name[0]?.toUpperCase()}${name.slice(1)}Rule`, {
        eventBus: rule.bus === 'default' ? defaultBus : this.bus,
        description: rule.description,
        // The topology holds EventBridge's own pattern syntax; it is rendered as written.
        eventPattern: rule.pattern as unknown as EventPattern,
        targets: rule.targetQueues.map(
          (queue) =>
            new SqsQueue(targets[queue], {
              deadLetterQueue: this.deliveryDeadLetterQueue,
              retryAttempts: 185,
              maxEventAge: Duration.hours(24),
            }),
        ),
      });
    }
  }
}
