import { App, Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { buildApp } from '../../lib/app';
import { METRICS_NAMESPACE, SERVICE_NAME, SYNC_METRICS } from '../../shared/observability/names';
import { SYNC_OUTCOMES } from '../../shared/sync/outcomes';
import type { RuleSpec } from '../../shared/topology';
import { functions, queues, routes, rules, schedules, streams, tables } from '../../shared/topology';
import { type Synthesized, synthesized } from './synthesized';

let t: Synthesized;
beforeAll(() => {
  t = synthesized();
});

describe('the synthesized deployment', () => {
  it('passes cdk-nag AwsSolutions checks with every acknowledgment justified', () => {
    // A failed validation plugin makes synth throw with its findings.
    expect(() => t.app.synth({ force: true })).not.toThrow();
  });

  it("keeps every stack well under CloudFormation's 500 resources", () => {
    // The hub stack holds every function (four resources each, with its role, policy and log
    // group): at ~470 its functions are due to move into nested stacks by family before the next ones.
    for (const template of [t.data, t.hub, t.api, t.monitoring]) {
      expect(Object.keys(template.toJSON().Resources ?? {}).length).toBeLessThan(480);
    }
  });

  it('runs cdk-nag on the app: a non-compliant resource fails synthesis', () => {
    const control = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    new Queue(control.hub, 'QueueWithoutDlqOrTls');
    expect(() => control.app.synth()).toThrow(/AwsSolutions-SQS3/);
  });

  it('has every topology table: on-demand, point-in-time recovery, customer-managed KMS, deletion protection, TTL', () => {
    t.data.resourceCountIs('AWS::DynamoDB::Table', Object.keys(tables).length);
    for (const spec of Object.values(tables)) {
      t.data.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: Match.arrayWith([{ AttributeName: spec.partitionKey, KeyType: 'HASH' }]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: spec.timeToLiveAttribute, Enabled: true },
        ...(spec.stream ? { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } } : {}),
      });
    }
    t.data.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('deploys every topology function on Node.js 22, arm64, with tracing', () => {
    const fns = t.hub.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
    });
    const descriptions = Object.values(fns).map(
      (f) => (f as { Properties: { Description: string } }).Properties.Description,
    );
    for (const spec of Object.values(functions)) expect(descriptions).toContain(spec.description);
  });

  it('serves every topology route, with the authorizer exactly where the route needs the hub credential', () => {
    const authorizers = t.api.findResources('AWS::ApiGatewayV2::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    t.api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 5,
    });
    for (const route of routes) {
      t.api.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: route.auth === 'hub' ? 'CUSTOM' : 'NONE',
      });
    }
    // Plus `$default`: what no route matches gets the hub's problem+json, without an authorizer.
    t.api.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$default',
      AuthorizationType: 'NONE',
    });
    t.api.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length + 1);
    t.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('holds each route anyone may call without a credential to its own lower rate, after the route exists', () => {
    const [stageId, stage] = Object.entries(t.api.findResources('AWS::ApiGatewayV2::Stage'))[0] ?? [];
    const settings = stage?.Properties.RouteSettings as Record<string, Record<string, number>>;
    const open = routes.filter((r) => r.auth === 'public' || r.auth === 'invitation-token');
    expect(open.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /sso/start', 'POST /sso/saml/{ssoConnectionId}/acs']));
    expect(Object.keys(settings).sort()).toEqual(open.map((r) => `${r.method} ${r.path}`).sort());
    for (const limits of Object.values(settings)) {
      expect(limits).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    }
    // Webhooks (signed) and the hub's own routes keep the stage's default.
    expect(settings['POST /webhooks/{provider}/{connectionId}']).toBeUndefined();
    const routeIds = Object.entries(t.api.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, r]) => String(r.Properties.RouteKey) === 'GET /sso/start')
      .map(([id]) => id);
    expect(stageId && t.api.toJSON().Resources[stageId].DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('gives every queue a DLQ, partial batch failure reporting and an alarm on its DLQ', () => {
    for (const spec of Object.values(queues)) {
      t.hub.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: spec.visibilityTimeoutSeconds,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: spec.maxReceiveCount },
      });
      t.hub.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: spec.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
    const dlqAlarms = t.monitoring.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 },
    });
    // One per topology queue, stream and schedule, plus the bus's delivery DLQ.
    expect(Object.keys(dlqAlarms)).toHaveLength(
      Object.keys(queues).length + Object.keys(streams).length + Object.keys(schedules).length + 1,
    );
    t.monitoring.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [Match.anyValue()] });
  });

  it('feeds every topology stream to its consumer, retrying failed records and parking exhausted ones', () => {
    for (const spec of Object.values(streams)) {
      t.hub.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: Match.anyValue(),
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: spec.batchSize,
        MaximumRetryAttempts: spec.maxRetries,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });

  it('runs every topology schedule with EventBridge Scheduler, with retries and a DLQ', () => {
    for (const spec of Object.values(schedules)) {
      t.hub.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: ScheduleExpression.rate(Duration.minutes(spec.everyMinutes)).expressionString,
        Target: Match.objectLike({
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
        }),
      });
    }
  });

  it('routes canonical events from the custom bus with the topology patterns, and archives them', () => {
    const [hubBus] = Object.keys(t.hub.findResources('AWS::Events::EventBus'));
    for (const rule of Object.values(rules) as RuleSpec[]) {
      t.hub.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: rule.bus === 'default' ? 'default' : { Ref: hubBus },
        EventPattern: rule.pattern,
        Targets: Match.arrayWith([Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })]),
      });
    }
    t.hub.resourceCountIs('AWS::Events::Archive', 1);
  });

  it("listens to the mail service's bounces and complaints on the account's default bus, and lets that rule send to its queue", () => {
    const onDefault = Object.entries(
      t.hub.findResources('AWS::Events::Rule', { Properties: { EventBusName: 'default' } }),
    );
    expect(onDefault).toHaveLength(
      (Object.values(rules) as RuleSpec[]).filter((r) => r.bus === 'default').length,
    );
    const [ruleId, rule] = onDefault.find(([, r]) =>
      JSON.stringify(r.Properties.EventPattern).includes('aws.ses'),
    ) ?? ['', undefined];
    expect(rule?.Properties.EventPattern).toEqual(rules.mailFeedback.pattern);
    const queueRef = rule?.Properties.Targets[0].Arn['Fn::GetAtt'][0];
    expect(queueRef).toMatch(/mailFeedbackQueue/);
    // Only this rule may send to the queue: EventBridge's principal, conditioned on the rule's ARN.
    t.hub.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueRef }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('offers MFA in the user pool, sets org claims by trigger, and lets no app client write them', () => {
    t.hub.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    t.hub.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: Match.anyValue(), LambdaVersion: 'V2_0' } },
    });
    const clients = t.hub.findResources('AWS::Cognito::UserPoolClient');
    for (const client of Object.values(clients)) {
      const writable = (client as { Properties: { WriteAttributes: string[] } }).Properties.WriteAttributes;
      expect(writable.some((a) => a.startsWith('custom:'))).toBe(false);
    }
  });

  it('lets the audit trail be appended to but never changed or deleted by any function', () => {
    const auditRef = Object.keys(t.data.findResources('AWS::DynamoDB::Table')).find((id) =>
      id.startsWith('AuditTable'),
    );
    const policies = JSON.stringify(t.hub.findResources('AWS::IAM::Policy'));
    expect(auditRef).toBeDefined();
    const statements = Object.values(t.hub.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (
          p as {
            Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const onAudit = statements.filter((s) => JSON.stringify(s.Resource).includes(String(auditRef)));
    expect(onAudit.length).toBeGreaterThan(0);
    for (const s of onAudit) {
      const actions = [s.Action].flat();
      expect(actions.filter((a) => /dynamodb:(UpdateItem|DeleteItem|BatchWriteItem)/.test(a))).toEqual([]);
    }
    expect(policies).not.toContain('"Action":"dynamodb:*"');
  });

  it("gives no function's own role a tenant's items: tenant data goes through the tenant data role", () => {
    const roles = Object.entries(t.hub.findResources('AWS::IAM::Policy')).filter(
      ([id]) => !id.startsWith('TenantData'),
    );
    const domainTable = JSON.stringify(t.hub.toJSON()).match(/DomainTable[A-Za-z0-9]*/)?.[0] ?? 'DomainTable';
    let checked = 0;
    for (const [, policy] of roles) {
      const statements = (
        policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }
      ).Properties.PolicyDocument.Statement;
      for (const statement of statements) {
        const actions = [statement.Action].flat() as string[];
        const onDomain = JSON.stringify(statement.Resource).includes(domainTable);
        if (!onDomain || !actions.some((a) => a.startsWith('dynamodb:'))) continue;
        checked++;
        // Platform items only: reads of any, writes of the function's own pointer types (`P#APIKEY#*`).
        const leading = (statement.Condition as Record<string, Record<string, string[]>> | undefined)?.[
          'ForAllValues:StringLike'
        ]?.['dynamodb:LeadingKeys'];
        expect(statement.Condition).toMatchObject({ Null: { 'dynamodb:LeadingKeys': 'false' } });
        expect(leading?.every((k) => k === 'P#*' || /^P#[A-Z]+#\*$/.test(k))).toBe(true);
        if (leading?.includes('P#*'))
          expect(actions.every((a) => /:(GetItem|BatchGetItem|Query)$/.test(a))).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(10);
    // Every function that touches tenant data knows the role to assume.
    for (const [name, spec] of Object.entries(functions)) {
      const touches = (spec.access as readonly string[]).some(
        (a) => a.startsWith('domain-table') || a.startsWith('audit-table'),
      );
      const found = t.hub.findResources('AWS::Lambda::Function', {
        Properties: {
          Description: spec.description,
          Environment: { Variables: { TENANT_ROLE_ARN: Match.anyValue() } },
        },
      });
      expect({ name, assumes: Object.keys(found).length === 1 }).toEqual({ name, assumes: touches });
    }
  });

  it('lets only the functions declaring mail:send send email, and only from the configured address', () => {
    const senders = Object.values(functions).filter((f) =>
      (f.access as readonly string[]).includes('mail:send'),
    );
    expect(senders.length).toBeGreaterThan(1);
    const sends = Object.values(t.hub.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('ses:SendEmail'),
    );
    expect(sends).toHaveLength(senders.length);
    for (const send of sends)
      expect(JSON.stringify(send)).toContain('"ses:FromAddress":"integration-hub@example.com"');
    const mailing = Object.values(
      t.hub.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { MAIL_FROM: 'integration-hub@example.com' } } },
      }),
    ).map((f) => (f as { Properties: { Description: string } }).Properties.Description);
    expect(mailing.sort()).toEqual(senders.map((f) => f.description).sort());
  });

  it('sends mail with a configuration set that publishes bounces and complaints to the default bus, named to the senders', () => {
    const [setId] = Object.keys(t.hub.findResources('AWS::SES::ConfigurationSet'));
    expect(setId).toBeDefined();
    t.hub.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: setId },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        EventBridgeDestination: {
          EventBusArn: {
            'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':event-bus/default$')])],
          },
        },
      },
    });
    const senders = Object.values(functions).filter((f) =>
      (f.access as readonly string[]).includes('mail:send'),
    );
    const named = t.hub.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { MAIL_CONFIGURATION_SET: { Ref: setId } } } },
    });
    expect(Object.keys(named)).toHaveLength(senders.length);
    // Each sender may use the configuration set, from the hub's address only.
    const sends = Object.values(t.hub.findResources('AWS::IAM::Policy'))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
            .PolicyDocument.Statement,
      )
      .filter((st) => st.Action === 'ses:SendEmail');
    expect(sends).toHaveLength(senders.length);
    for (const statement of sends) {
      expect(JSON.stringify(statement.Resource)).toContain(':configuration-set/');
      expect(JSON.stringify(statement.Resource)).toContain(setId);
    }
  });

  it('has a dashboard and an encrypted alarm topic', () => {
    t.monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.monitoring.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('graphs and alarms on the sync lag the sync worker emits, under the name it emits it', () => {
    t.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: SYNC_METRICS.lag,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      ExtendedStatistic: 'p99',
      Threshold: 60_000,
      AlarmActions: [Match.anyValue()],
    });
    const [dashboard] = Object.values(t.monitoring.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const outcome of SYNC_OUTCOMES) expect(body).toContain(SYNC_METRICS.outcome(outcome));
    // The function emits under the same service and namespace.
    t.hub.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        }),
      },
    });
  });
});

describe('the topology', () => {
  it('declares a permission for every route the hub authenticates, and none for the others', () => {
    for (const route of routes) {
      if (route.auth === 'hub') expect(route.permission).not.toBeNull();
      else expect(route.permission).toBeNull();
    }
  });

  it('gives every queue a consumer function that exists', () => {
    for (const spec of Object.values(queues)) expect(Object.keys(functions)).toContain(spec.consumer);
  });
});
