import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RouteSpec } from '../topology';
import { realtime, routes } from '../topology';

/**
 * A subscription is a read of the org's event feed: the gate decides it exactly as it decides
 * `GET /v1/orgs/{orgId}/events` (permission, custom roles, org policies, org status, IP allow-list,
 * active user, second factor, session lifetime), and audits a refusal the same way.
 */
export const FEED_ROUTE: RouteSpec = (() => {
  const route = routes.find((r) => r.operationId === 'listEvents');
  if (!route) throw new Error('No listEvents route in the topology');
  return route;
})();

/** The request the gate sees for a connection: the feed's route, the org, and where the client is. */
export function feedRequestFor(input: {
  readonly orgId: string;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly userAgent?: string;
  readonly apiId?: string;
  readonly domainName?: string;
  readonly stage?: string;
}): APIGatewayProxyEventV2 {
  const routeKey = `${FEED_ROUTE.method} ${FEED_ROUTE.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: realtime.path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    pathParameters: { orgId: input.orgId },
    requestContext: {
      accountId: '',
      apiId: input.apiId ?? '',
      domainName: input.domainName ?? '',
      domainPrefix: '',
      http: {
        method: FEED_ROUTE.method,
        path: realtime.path,
        protocol: 'WebSocket',
        sourceIp: input.sourceIp,
        userAgent: input.userAgent ?? '',
      },
      requestId: input.requestId,
      routeKey,
      stage: input.stage ?? '',
      time: '',
      timeEpoch: 0,
    },
  };
}
