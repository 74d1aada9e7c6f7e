import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IAlarmAction, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME, SYNC_METRICS } from '../../shared/observability/names';
import { SYNC_OUTCOMES } from '../../shared/sync/outcomes';

export interface HubMonitoringProps {
  readonly api: HttpApi;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly queues: Readonly<Record<string, IQueue>>;
  /** Every dead-letter queue: any message in one raises an alarm. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
}

/** The operators' view: one dashboard, and alarms to an encrypted SNS topic they subscribe to. */
export class HubMonitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  private readonly action: IAlarmAction;

  constructor(scope: Construct, id: string, props: HubMonitoringProps) {
    super(scope, id);
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Integration Hub: alarm notifications',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic with this key.
    topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Integration Hub alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    this.action = new SnsAction(this.alarmTopic);
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Integration Hub\nAPI, functions, queues and dead-letter queues. Alarms go to the alarm topic.',
        width: 24,
        height: 2,
      }),
    );

    const apiMetric = (metricName: string, statistic = 'Sum') =>
      props.api.metric(metricName, { statistic, period: Duration.minutes(1) });
    const serverErrors = apiMetric('5xx');
    const requests = apiMetric('Count');
    this.dashboard.addWidgets(
      graph('API requests and errors', [requests, apiMetric('4xx'), serverErrors]),
      graph('API latency (p50, p99)', [apiMetric('Latency', 'p50'), apiMetric('Latency', 'p99')]),
    );
    this.alarm('ApiServerErrors', 'More than 1% of API requests failed with 5xx for 5 minutes', {
      metric: new MathExpression({
        expression: '100 * errors / MAX([requests, 1])',
        usingMetrics: { errors: serverErrors, requests },
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 5,
    });
    this.alarm('ApiLatency', 'API p99 latency above 1 s for 5 minutes', {
      metric: apiMetric('Latency', 'p99'),
      threshold: 1000,
      evaluationPeriods: 5,
    });

    // The sync itself: how late changes arrive on the other side, and what became of them.
    const syncMetric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period: Duration.minutes(1),
      });
    this.dashboard.addWidgets(
      graph('Sync lag, source change to other side written (ms, p50, p99)', [
        syncMetric(SYNC_METRICS.lag, 'p50'),
        syncMetric(SYNC_METRICS.lag, 'p99'),
      ]),
      graph(
        'Sync outcomes',
        SYNC_OUTCOMES.map((outcome) => syncMetric(SYNC_METRICS.outcome(outcome), 'Sum')),
      ),
    );
    this.alarm('SyncLag', 'Sync p99 lag above 60 s for 5 minutes: changes are not reaching the other side', {
      metric: syncMetric(SYNC_METRICS.lag, 'p99'),
      threshold: 60_000,
      evaluationPeriods: 5,
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      this.dashboard.addWidgets(
        graph(`${name}: invocations, errors, throttles`, [
          fn.metricInvocations({ period: Duration.minutes(1) }),
          fn.metricErrors({ period: Duration.minutes(1) }),
          fn.metricThrottles({ period: Duration.minutes(1) }),
        ]),
        graph(`${name}: duration (p50, p99)`, [
          fn.metricDuration({ statistic: 'p50', period: Duration.minutes(1) }),
          fn.metricDuration({ statistic: 'p99', period: Duration.minutes(1) }),
        ]),
      );
      this.alarm(`${name}Errors`, `${name} raised errors in 3 consecutive minutes`, {
        metric: fn.metricErrors({ period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 3,
      });
    }

    for (const [name, queue] of Object.entries(props.queues)) {
      this.dashboard.addWidgets(
        graph(`${name} queue: depth and oldest message (s)`, [
          queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
          queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
        ]),
      );
      this.alarm(`${name}QueueAge`, `${name}: oldest message waited more than 5 minutes`, {
        metric: queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 300,
        evaluationPeriods: 3,
      });
    }
    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      this.dashboard.addWidgets(graph(`${name} DLQ depth`, [dlq.metricApproximateNumberOfMessagesVisible()]));
      this.alarm(`${name}DeadLetters`, `${name}: messages were parked in the dead-letter queue`, {
        metric: dlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }
  }

  private alarm(
    id: string,
    description: string,
    opts: { metric: IMetric; threshold: number; evaluationPeriods: number },
  ) {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric: opts.metric,
      threshold: opts.threshold,
      evaluationPeriods: opts.evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}

function graph(title: string, metrics: IMetric[]) {
  return new GraphWidget({ title, left: metrics, width: 12, height: 6 });
}
