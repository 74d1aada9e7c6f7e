import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  ForbiddenError,
  HubError,
  NotFoundError,
  QuotaExceededError,
  UniquenessError,
  ValidationError,
} from '../errors';
import { validatePathParameters } from '../http/path-parameters';
import { correlationIdOf, requestContextOf } from '../http/request-context';
import { looksLikeApiKey } from '../identity/api-key-format';
import type { Principal } from '../identity/principal';
import { hashScimToken, isWellFormedScimToken, SCIM_TOKEN_PREFIX } from '../identity/scim-token-format';
import { logger, metrics, tracer } from '../observability/observability';
import type { ScimTokenStore, UsageStore } from '../ports/stores';
import { ipAllowed } from '../tenancy/org';
import { apiRate } from '../tenancy/plans';
import type { TenantDirectory } from '../tenancy/tenant-directory';
import type { RouteSpec } from '../topology';
import { routes } from '../topology';
import type { ListQuery } from './query';
import { parseListQuery } from './query';
import { parseScimBody } from './scim-body';
import type { ScimCaller, ScimResult } from './scim-caller';
import { ScimError, scimErrorResponse, scimResponse } from './scim-error';

type Operation = (typeof routes)[number]['operationId'];

/** What the SCIM service's gate needs: token lookups, the tenant cache, and the org's request allowance. */
export interface ScimGateDeps {
  readonly tokens: Pick<ScimTokenStore, 'findByHash'>;
  readonly tenants: Pick<TenantDirectory, 'get'>;
  readonly usage: Pick<UsageStore, 'consumeRate'>;
}

export interface ScimRequest {
  readonly caller: ScimCaller;
  readonly path: Readonly<Record<string, string>>;
  readonly query: ListQuery;
  readonly body: unknown;
  readonly ifMatch: string | undefined;
}

export type ScimOperation = (req: ScimRequest) => Promise<ScimResult>;

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Resolves the calling org from a SCIM token, and only a SCIM token: an API key or a user's JWT
 * is refused here as a SCIM token is refused on /v1. A revoked token's lookup is gone, so it is
 * refused from the next request on (nothing is cached).
 */
async function callerOf(event: APIGatewayProxyEventV2, gate: ScimGateDeps): Promise<ScimCaller> {
  const token = BEARER.exec(event.headers?.authorization ?? '')?.[1];
  if (!token) throw new ScimError(401, 'Send "Authorization: Bearer <SCIM token>"');
  if (!token.startsWith(SCIM_TOKEN_PREFIX)) {
    throw new ScimError(
      401,
      looksLikeApiKey(token)
        ? 'An API key does not open the SCIM service; use a SCIM token (hubscim_…)'
        : 'Only a SCIM token (hubscim_…) opens the SCIM service',
    );
  }
  // The checksum refuses a mistyped or made-up token without a read.
  if (!isWellFormedScimToken(token)) throw new ScimError(401, 'The SCIM token is malformed');
  const grant = await gate.tokens.findByHash(hashScimToken(token));
  if (!grant) throw new ScimError(401, 'The SCIM token is not valid');
  const org = await gate.tenants.get(grant.orgId);
  if (!org) throw new ScimError(403, 'The organisation no longer exists');
  if (org.status !== 'active') throw new ScimError(403, `The organisation is ${org.status}`);
  if (!ipAllowed(event.requestContext.http.sourceIp, org.settings.ipAllowList)) {
    throw new ScimError(403, "The request does not come from a network on the organisation's IP allow-list");
  }
  const counted = await gate.usage.consumeRate(org.id, apiRate(org.plan), new Date());
  if (!counted.allowed) {
    throw new ScimError(
      429,
      `The plan allows ${apiRate(org.plan).limit} requests a minute; retry in ${counted.retryAfterSeconds} s`,
    );
  }
  const principal: Principal = {
    kind: 'org_member',
    type: 'api_key',
    id: grant.tokenId,
    name: `SCIM token ${grant.name}`,
    orgId: org.id,
    role: 'admin',
  };
  const host = event.requestContext.domainName;
  const scheme = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host) ? 'http' : 'https';
  return {
    org,
    principal,
    request: { ...requestContextOf(event), channel: 'scim' },
    baseUrl: `${scheme}://${host}/scim/v2`,
  };
}

function bodyOf(event: APIGatewayProxyEventV2): unknown {
  const type = event.headers?.['content-type'] ?? '';
  if (!/^application\/(scim\+)?json\b/i.test(type)) {
    throw new ScimError(415, 'Send the body as application/scim+json (or application/json)');
  }
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  return parseScimBody(raw);
}

/** A hub error met inside the service, in SCIM's terms: the class decides, never the message. */
export function toScimError(error: unknown): ScimError | null {
  if (error instanceof ScimError) return error;
  if (!(error instanceof HubError)) return null;
  if (error instanceof UniquenessError)
    return new ScimError(409, error.message, 'uniqueness', { cause: error });
  if (error instanceof ConflictError) return new ScimError(409, error.message, undefined, { cause: error });
  if (error instanceof ValidationError)
    return new ScimError(400, error.message, 'invalidValue', { cause: error });
  if (error instanceof NotFoundError) return new ScimError(404, error.message, undefined, { cause: error });
  if (error instanceof ForbiddenError) return new ScimError(403, error.message, undefined, { cause: error });
  if (error instanceof QuotaExceededError)
    return new ScimError(429, error.message, undefined, { cause: error });
  return new ScimError(error.status, error.message, undefined, { cause: error });
}

const routeOf = (operation: Operation): RouteSpec => {
  const route = routes.find((r) => r.operationId === operation);
  if (!route) throw new Error(`No route ${operation} in the topology`);
  return route;
};

/**
 * The SCIM service's one entry: dispatches on the route key to the operation's handler, behind a
 * gate that takes SCIM tokens only, and answers every refusal in SCIM's error schema.
 */
export function scimHandler(gate: ScimGateDeps, handlers: Partial<Record<Operation, ScimOperation>>) {
  const byRouteKey = new Map<string, { route: RouteSpec; handle: ScimOperation }>();
  for (const [operation, handle] of Object.entries(handlers) as [Operation, ScimOperation][]) {
    const route = routeOf(operation);
    if (route.auth !== 'scim-token') throw new Error(`${operation} is no route of the SCIM service`);
    byRouteKey.set(`${route.method} ${route.path}`, { route, handle });
  }
  const base = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.appendKeys({ correlationId: correlationIdOf(event), route: event.routeKey });
    const entry = byRouteKey.get(event.routeKey);
    if (!entry) throw new ScimError(404, 'No such SCIM endpoint');
    const caller = await callerOf(event, gate);
    logger.appendKeys({ tenantId: caller.org.id });
    const path = validatePathParameters(entry.route, event.pathParameters);
    const query = parseListQuery(event.queryStringParameters ?? {});
    const body = entry.route.method === 'GET' || entry.route.method === 'DELETE' ? undefined : bodyOf(event);
    const result = await entry.handle({ caller, path, query, body, ifMatch: event.headers?.['if-match'] });
    return scimResponse(result.status, result.body, { ...result.headers });
  };
  return middy(base)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use({
      after: async () => {
        metrics.addDimensions({ route: 'scim' });
        metrics.addMetric('ApiResponse', MetricUnit.Count, 1);
      },
      onError: async (request) => {
        metrics.addDimensions({ route: 'scim' });
        const scim = toScimError(request.error);
        if (scim && scim.status < 500) {
          logger.info('SCIM request refused', { status: scim.status, scimType: scim.scimType });
          metrics.addMetric('ApiClientError', MetricUnit.Count, 1);
          const response = scimErrorResponse(scim);
          request.response =
            scim.status === 401
              ? { ...response, headers: { ...response.headers, 'www-authenticate': 'Bearer realm="scim"' } }
              : response;
          return;
        }
        logger.error('SCIM request failed', { error: request.error as Error });
        metrics.addMetric('ApiServerError', MetricUnit.Count, 1);
        // Nothing about the failure leaks out, in SCIM's schema still.
        request.response = scimErrorResponse(
          new ScimError(
            scim?.status ?? 500,
            `The request failed (request id ${request.event.requestContext.requestId})`,
          ),
        );
      },
    });
}
