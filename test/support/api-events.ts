import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Principal } from '../../shared/identity/principal';
import { principalToContext } from '../../shared/identity/principal';

/** Builds an API Gateway v2 event as the HTTP API delivers it after the authorizer ran. */
export function apiEvent(options: {
  method: string;
  path: string;
  routePath: string;
  principal?: Principal | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
}): APIGatewayProxyEventV2 {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const event = {
    version: '2.0',
    routeKey: `${options.method} ${options.routePath}`,
    rawPath: options.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'jest', ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'test',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'jest',
      },
      requestId: 'req-1',
      routeKey: `${options.method} ${options.routePath}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      authorizer: options.principal
        ? { lambda: principalToContext(options.principal) }
        : { lambda: { reason: 'none' } },
    },
    body,
    isBase64Encoded: false,
  };
  return event as unknown as APIGatewayProxyEventV2;
}

export const lambdaContext = (): Context =>
  ({
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    memoryLimitInMB: '512',
    awsRequestId: 'aws-req-1',
    logGroupName: 'test',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

export const platformAdmin: Principal = {
  kind: 'platform_admin',
  type: 'api_key',
  id: 'key_ADMIN',
  name: 'admin',
};
export const member = (
  orgId: string,
  role: 'owner' | 'admin' | 'member' | 'viewer' = 'member',
): Principal => ({
  kind: 'org_member',
  type: 'api_key',
  id: 'key_MEMBER',
  name: 'member',
  orgId,
  role,
});

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const parse = (result: unknown) => {
  const r = result as HttpResult;
  return { status: r.statusCode, headers: r.headers, json: JSON.parse(r.body) as Record<string, unknown> };
};
