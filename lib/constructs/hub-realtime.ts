import type { CfnElement } from 'aws-cdk-lib';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';
import type { FunctionName } from '../../shared/topology';
import { realtime } from '../../shared/topology';

export interface HubRealtimeProps {
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /** Steady-state messages per second across the API. @default 500 */
  readonly rateLimit?: number;
  /** Burst capacity. @default 1000 */
  readonly burstLimit?: number;
}

/** The stage name: the Management API endpoint and the clients' URL end with it. */
const STAGE = 'v1';

/**
 * The real-time API: a WebSocket API whose `$connect`, `$disconnect` and `$default` routes go to
 * the functions the topology names (`$default` answers the client with the function's body), one
 * stage with JSON access logs and throttling, and the Management API grant for the fan-out.
 */
export class HubRealtime extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: HubRealtimeProps) {
    super(scope, id);
    const integrations = new Map<FunctionName, WebSocketLambdaIntegration>();
    const integrationOf = (name: FunctionName) => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new WebSocketLambdaIntegration(`${name}Integration`, props.functions[name]);
        integrations.set(name, integration);
      }
      return integration;
    };
    this.api = new WebSocketApi(this, 'WebSocketApi', {
      description: `Integration Hub real-time events (${realtime.path} locally)`,
      connectRouteOptions: { integration: integrationOf(realtime.routes.$connect) },
      disconnectRouteOptions: { integration: integrationOf(realtime.routes.$disconnect) },
      defaultRouteOptions: { integration: integrationOf(realtime.routes.$default), returnResponse: true },
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 500, burstLimit: props.burstLimit ?? 1000 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No header or query string: a browser's token rides in Sec-WebSocket-Protocol.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            eventType: '$context.eventType',
            connectionId: '$context.connectionId',
            status: '$context.status',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    // A WebSocket API authorises at $connect only; the function does it, so the other routes need none.
    const reasons: Record<keyof typeof realtime.routes, string> = {
      $connect:
        "The $connect function authenticates the upgrade with the HTTP API's own authenticator and request gate (API key or JWT, org status, IP allow-list, role and policies) and refuses it otherwise.",
      $disconnect:
        'API Gateway authorises a WebSocket connection at $connect only; $disconnect belongs to an admitted one.',
      $default:
        "API Gateway authorises a WebSocket connection at $connect only; each message's connection was admitted then, and a subscribe is admitted again by the gate.",
    };
    for (const [key, reason] of Object.entries(reasons)) {
      const route = this.api.node.tryFindChild(`${key}-Route`);
      if (!route) throw new Error(`No ${key} route on the WebSocket API`);
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    }
  }

  /** The Management API endpoint the fan-out posts to. */
  get managementEndpoint(): string {
    return this.stage.callbackUrl;
  }

  /**
   * PostToConnection and DeleteConnection (a connection whose principal lost its access is closed)
   * on this stage's connections, nothing else of the Management API.
   */
  grantPost(grantee: IGrantable & IConstruct): void {
    const apiId = Stack.of(this).getLogicalId(this.api.node.defaultChild as CfnElement);
    const resources = (['POST', 'DELETE'] as const).map((method) => {
      Validations.of(grantee).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${STAGE}/${method}/@connections/*]`,
        reason: `Connection ids are issued by API Gateway as clients connect: the grant names this stage and ${method} only.`,
      });
      return Stack.of(this).formatArn({
        service: 'execute-api',
        resource: this.api.apiId,
        resourceName: `${STAGE}/${method}/@connections/*`,
      });
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources }),
    );
  }
}
