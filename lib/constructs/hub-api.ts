import { type CfnResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName } from '../../shared/topology';
import { AUTHORIZER_CACHE_TTL_SECONDS, routes, UNMATCHED_ROUTE_FUNCTION } from '../../shared/topology';

export interface HubApiProps {
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /** Steady-state requests per second across the API. @default 1000 */
  readonly rateLimit?: number;
  /** Burst capacity. @default 2000 */
  readonly burstLimit?: number;
  /**
   * Each route anyone may call without a credential (SSO sign-in, invitations, links): its own
   * steady-state requests per second, so a flood of them costs a bounded amount and leaves the
   * rest of the API its share. Per-address limits need WAF, which an HTTP API cannot attach
   * (CloudFront in front can). @default 50
   */
  readonly publicRouteRateLimit?: number;
  /** @default 100 */
  readonly publicRouteBurstLimit?: number;
}

/**
 * The HTTP API: one route per topology entry, one Lambda authorizer (API key or JWT) cached by the
 * Authorization header, access logs in JSON, and stage throttling.
 */
export class HubApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: HubApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Integration Hub API and webhook endpoints',
      createDefaultStage: false,
      corsPreflight: {
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
        ],
        allowHeaders: ['authorization', 'content-type', 'x-correlation-id'],
        allowOrigins: ['*'],
      },
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 1000, burstLimit: props.burstLimit ?? 2000 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const authorizer = new HttpLambdaAuthorizer('HubAuthorizer', props.functions.authorizeRequest, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_TTL_SECONDS),
    });
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    // CloudFormation's own names: the route settings are passed through as written.
    const publicThrottle = {
      ThrottlingRateLimit: props.publicRouteRateLimit ?? 50,
      ThrottlingBurstLimit: props.publicRouteBurstLimit ?? 100,
    };
    const publicRoutes: Record<string, typeof publicThrottle> = {};
    const stage = this.stage.node.defaultChild as CfnStage;
    for (const route of routes) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(
          `${route.function}Integration`,
          props.functions[route.function],
        );
        integrations.set(route.function, integration);
      }
      const [added] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: route.auth === 'hub' ? authorizer : new HttpNoneAuthorizer(),
      });
      if (added && (route.auth === 'public' || route.auth === 'invitation-token')) {
        publicRoutes[`${route.method} ${route.path}`] = publicThrottle;
        // The stage's route settings name the route: it must exist first.
        stage.addDependency(added.node.defaultChild as CfnResource);
      }
      if (added && route.auth !== 'hub') {
        Validations.of(added).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.auth === 'webhook-signature'
              ? 'Webhook senders cannot hold hub credentials; the handler verifies the signature and refuses unsigned calls.'
              : route.auth === 'invitation-token'
                ? 'Invitees hold no credential yet; the single-use invitation token in the body is verified by the handler.'
                : route.auth === 'scim-token'
                  ? "The SCIM service verifies the org's SCIM token itself, so that every refusal (401 included) is in SCIM's error schema, which IdPs parse; it takes no other credential."
                  : route.path === '/v1/openapi.json'
                    ? 'The OpenAPI document is public by design.'
                    : "Public by design: the link's own signed token, or the chat platform's OAuth state, is the credential, verified by the handler.",
        });
      }
    }

    stage.routeSettings = publicRoutes;

    // A request no route matches gets the hub's problem+json 404/405, not the gateway's own answer.
    const unmatched = new HttpRoute(this, 'UnmatchedRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration:
        integrations.get(UNMATCHED_ROUTE_FUNCTION) ??
        new HttpLambdaIntegration('UnmatchedIntegration', props.functions[UNMATCHED_ROUTE_FUNCTION]),
    });
    Validations.of(unmatched).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'Answers only a 404 or 405 problem document for paths the API does not have; it reads no data.',
    });
  }
}
