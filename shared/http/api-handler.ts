import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import * as adapters from '../adapters/wiring';
import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { AccessDirectory } from '../authz/access-directory';
import type { AccessFactsLoader } from '../authz/access-facts';
import type { AccessRequest } from '../authz/evaluate-access';
import { evaluateAccess } from '../authz/evaluate-access';
import {
  ForbiddenError,
  MfaRequiredError,
  PayloadTooLargeError,
  QuotaExceededError,
  SessionExpiredError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors';
import type { Principal } from '../identity/principal';
import { isInScope, principalFromContext } from '../identity/principal';
import type { SessionGate } from '../identity/session-gate';
import { logger, metrics, tracer } from '../observability/observability';
import type { AuditStore, UsageStore, UserStore } from '../ports/stores';
import type { Org } from '../tenancy/org';
import { ipAllowed } from '../tenancy/org';
import { apiRate } from '../tenancy/plans';
import type { TenantDirectory } from '../tenancy/tenant-directory';
import type { RouteSpec } from '../topology';
import { routes } from '../topology';
import { zodIssues } from '../validation';
import { validatePathParameters } from './path-parameters';
import { internalErrorResponse, isHubError, problemResponse } from './problem';
import { correlationIdOf, requestContextOf } from './request-context';

type Schema = z.ZodType;
type Operation = (typeof routes)[number]['operationId'];
/** The names of a path's parameters: `/v1/orgs/{orgId}/users/{userId}` → 'orgId' | 'userId'. */
type ParameterNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}`
  ? N | ParameterNames<Rest>
  : never;
/** An operation's path parameters, each validated against its id pattern by the gate. */
type PathOf<O extends Operation> = Readonly<
  Record<ParameterNames<Extract<(typeof routes)[number], { operationId: O }>['path']>, string>
>;

/** API Gateway's own payload limit; anything larger never reaches a handler in AWS. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiRequest<B, Q, P = Readonly<Record<string, string>>> {
  readonly body: B;
  readonly query: Q;
  /** The route's path parameters, each well-formed (checked against its id pattern before any read). */
  readonly path: P;
  readonly principal: Principal;
  readonly request: RequestContext;
  readonly correlationId: string;
  readonly event: APIGatewayProxyEventV2;
  readonly context: Context;
}

/** What the hub's gate needs besides the request: the tenant cache, and the trail denials are written to. */
export interface GateDeps {
  readonly tenants: Pick<TenantDirectory, 'get'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly usage: Pick<UsageStore, 'consumeRate'>;
  readonly users: Pick<UserStore, 'get'>;
  /** The org's custom roles and policies, cached. */
  readonly access: Pick<AccessDirectory, 'get'>;
  /** What org policies may look at; read only for orgs that have policies. */
  readonly facts: Pick<AccessFactsLoader, 'load'>;
  /** Users' sessions: revoked or idle ones refused, each one's use recorded. @default none checked */
  readonly sessions?: Pick<SessionGate, 'admit'>;
}

export interface ApiOptions<
  BS extends Schema | undefined,
  QS extends Schema | undefined,
  O extends Operation = Operation,
> {
  readonly operation: O;
  /** @default the production adapters, for routes the hub authenticates */
  readonly gate?: GateDeps;
  readonly body?: BS;
  readonly query?: QS;
  readonly handle: (
    req: ApiRequest<
      BS extends Schema ? z.infer<BS> : undefined,
      QS extends Schema ? z.infer<QS> : undefined,
      PathOf<O>
    >,
  ) => Promise<APIGatewayProxyStructuredResultV2>;
}

type Infer<S> = S extends Schema ? z.infer<S> : undefined;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function routeOf(operation: Operation): RouteSpec {
  const route = routes.find((r) => r.operationId === operation);
  if (!route) throw new Error(`No route ${operation} in the topology`);
  return route;
}

function parseBody(event: APIGatewayProxyEventV2, schema: Schema): unknown {
  const type = event.headers?.['content-type'] ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError('Send the body as application/json');
  }
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new PayloadTooLargeError('The body exceeds 1 MiB');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new ValidationError('The body is not valid JSON', [], { cause });
  }
  return validate(schema, value, 'body');
}

function validate(schema: Schema, value: unknown, what: string): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`The request ${what} is not valid`, zodIssues(parsed.error));
  return parsed.data;
}

/** Resolves the caller from what the authorizer verified; the credential itself was checked there. */
function principalOf(event: APIGatewayProxyEventV2): Principal {
  const context = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } }).authorizer
    ?.lambda;
  const principal = principalFromContext(context);
  if (!principal) {
    const reason = typeof context?.reason === 'string' ? context.reason : 'No valid credential was sent';
    throw new UnauthenticatedError(reason);
  }
  return principal;
}

/** Refusals the gate records in the caller's trail: the request was understood and not allowed. */
const isDenial = (error: unknown): error is ForbiddenError | MfaRequiredError =>
  error instanceof ForbiddenError || error instanceof MfaRequiredError;

/**
 * The hub's gate for authenticated routes: the route's permission within the addressed org, the
 * caller's org active, the request from a network the org allows, and — for a user — an active hub
 * user (named from the hub's record), a second factor if the org requires one, and a session
 * younger than the org's lifetime, neither revoked nor idle (its use recorded, once a minute). A
 * refusal is counted against the caller's own org's allowance, then audited in the caller's own
 * trail (never the addressed org's), then answered. An admitted request is counted too; the
 * returned promise settles with that count.
 */
export async function admit(
  event: APIGatewayProxyEventV2,
  route: RouteSpec,
  gate: GateDeps,
  principal: Principal,
  /** `count: false`: the hub's own re-check of a standing grant (a real-time connection), not a request. */
  options: { readonly count?: boolean } = {},
): Promise<{ principal: Principal; path: Record<string, string>; rate: Promise<void> }> {
  const permission = route.permission;
  if (principal.kind === 'platform_admin' || permission === null) {
    if (permission === null) throw new ForbiddenError('The route admits no caller');
    return { principal, path: validatePathParameters(route, event.pathParameters), rate: Promise.resolve() };
  }
  let org: Org | null = null;
  // Who the trail names: the hub user once read, so even a refusal shows no claim of the token's.
  let admitted: typeof principal = principal;
  // The write of the session's use, when one is due: awaited before the request goes on, never rejected.
  let recorded: Promise<void> = Promise.resolve();
  try {
    // Compared as sent, before anything is read: another org's id, well-formed or not, is refused.
    if (!isInScope(principal, permission, event.pathParameters?.orgId ?? null)) {
      throw new ForbiddenError(`The caller lacks ${permission} here`);
    }
    const path = validatePathParameters(route, event.pathParameters);
    // Read on every request, not cached: a deactivated user, and their personal keys, are refused at once.
    const actingUser = principal.type === 'user' ? principal.id : principal.ownerUserId;
    const [found, access, user] = await Promise.all([
      gate.tenants.get(principal.orgId),
      gate.access.get(principal.orgId),
      actingUser ? gate.users.get(principal.orgId, actingUser) : Promise.resolve(null),
    ]);
    org = found;
    if (!org) throw new ForbiddenError('The organisation no longer exists');
    if (org.status !== 'active') throw new ForbiddenError(`The organisation is ${org.status}`);
    if (!ipAllowed(event.requestContext.http.sourceIp, org.settings.ipAllowList)) {
      throw new ForbiddenError(
        "The request does not come from a network on the organisation's IP allow-list",
      );
    }
    if (principal.type === 'user') {
      // Deny by default: a token is worth only what the hub's record of its user says.
      if (!user) throw new ForbiddenError('The token stands for no user of this organisation');
      // Named from the hub's record, never from a claim: this is who audit records and policies see.
      admitted = { ...principal, name: user.name, email: user.email };
      if (user.status !== 'active') throw new ForbiddenError('The user is deactivated');
      // API keys are not user sessions: the second factor and the lifetime bind user tokens only.
      if (org.settings.mfaRequired && principal.mfa !== true && !route.beforeSecondFactor) {
        throw new MfaRequiredError(
          'The organisation requires multi-factor authentication, and this sign-in shows no second factor: sign in again with your second factor (an authenticator app or security key)',
        );
      }
      const lifetimeMs = org.settings.sessionLifetimeMinutes * 60_000;
      if (principal.authTime === undefined || principal.authTime * 1000 + lifetimeMs <= Date.now()) {
        throw new SessionExpiredError(
          `The session expired: the organisation's sessions last ${org.settings.sessionLifetimeMinutes} minutes; sign in again`,
        );
      }
      if (gate.sessions) {
        const session = await gate.sessions.admit({
          orgId: principal.orgId,
          userId: principal.id,
          authTime: principal.authTime,
          signInMethod: principal.signInMethod ?? 'unknown',
          ip: event.requestContext.http.sourceIp,
          userAgent: event.headers?.['user-agent']?.slice(0, 256) || null,
          idleMinutes: org.settings.sessionIdleMinutes,
          at: new Date(),
          record: options.count !== false,
        });
        recorded = session.recorded;
      }
    } else if (actingUser && user?.status !== 'active') {
      throw new ForbiddenError(
        user ? "The key's user is deactivated" : "The key's user is no user of this organisation",
      );
    }
    const request: AccessRequest = {
      principal: admitted,
      permission,
      operation: route.operationId,
      path,
      ip: event.requestContext.http.sourceIp,
      at: new Date(),
      stepUpMinutes: org.settings.stepUpMinutes,
    };
    const facts = access.policies.length > 0 ? await gate.facts.load(request) : null;
    const decision = evaluateAccess(request, access, facts);
    if (!decision.allowed) throw new ForbiddenError(decision.reason);
    const rate = options.count === false ? Promise.resolve() : countRequest(gate, org);
    // Settled here so an early refusal below cannot leave it unobserved.
    rate.catch(() => undefined);
    await recorded;
    return { principal: admitted, path, rate };
  } catch (error) {
    if (isDenial(error)) await recordDenial(event, route, admitted, org, error, gate);
    throw error;
  }
}

/** Counts a request against the org's per-minute allowance; rejects with 429 once it is spent. */
async function countRequest(gate: GateDeps, org: Org): Promise<void> {
  const allowance = apiRate(org.plan);
  const counted = await gate.usage.consumeRate(org.id, allowance, new Date());
  if (!counted.allowed) {
    throw new QuotaExceededError(`The plan allows ${allowance.limit} API requests a minute`, {
      extensions: { retryAfterSeconds: counted.retryAfterSeconds },
    });
  }
}

/**
 * Audits a refusal in the caller's own org — never the addressed one, whose trail another tenant
 * must not be able to fill — after counting it against that org's allowance: a caller flooding
 * refused requests spends its own rate, and is answered 429 with nothing written once it is spent.
 */
async function recordDenial(
  event: APIGatewayProxyEventV2,
  route: RouteSpec,
  principal: Extract<Principal, { kind: 'org_member' }>,
  known: Org | null,
  error: ForbiddenError | MfaRequiredError,
  gate: GateDeps,
) {
  // The refusal stands whatever happens here: a failure to count or audit it is logged for operators.
  const unrecorded = (cause: unknown) => {
    logger.error('Could not count or audit a denial', { error: cause as Error, reason: error.message });
  };
  let org: Org | null;
  try {
    org = known ?? (await gate.tenants.get(principal.orgId));
  } catch (cause) {
    return unrecorded(cause);
  }
  // A credential of an org that no longer exists has no trail to write into.
  if (!org) return unrecorded(new Error(`No organisation ${principal.orgId}`));
  try {
    await countRequest(gate, org);
  } catch (cause) {
    if (cause instanceof QuotaExceededError) throw cause;
    return unrecorded(cause);
  }
  const record = auditChange({
    action: `api.${route.operationId}`,
    principal,
    orgId: principal.orgId,
    targets: [{ type: 'route', id: `${route.method} ${route.path}` }],
    request: requestContextOf(event),
    at: new Date(),
    outcome: 'denied',
    after: { reason: error.message },
  });
  await gate.audit.append(record).catch(unrecorded);
}

/**
 * Wraps an API operation in the hub's middleware: tracer → logger (keys reset per invocation) →
 * metrics → error mapper, with authentication, permission check and input validation before it runs.
 */
export function apiHandler<
  BS extends Schema | undefined = undefined,
  QS extends Schema | undefined = undefined,
  O extends Operation = Operation,
>(options: ApiOptions<BS, QS, O>) {
  const route = routeOf(options.operation);
  const gate: GateDeps | undefined =
    route.auth === 'hub'
      ? (options.gate ?? {
          tenants: adapters.tenantDirectory(),
          audit: adapters.auditStore(),
          usage: adapters.usageStore(),
          users: adapters.userStore(),
          access: adapters.accessDirectory(),
          facts: adapters.accessFacts(),
          sessions: adapters.sessionGate(),
        })
      : undefined;
  const base = async (event: APIGatewayProxyEventV2, context: Context) => {
    const correlationId = correlationIdOf(event);
    logger.appendKeys({ correlationId, route: options.operation });
    // The gate checks the path's ids after who calls and before any read; other routes here.
    const admitted = gate ? await admit(event, route, gate, principalOf(event)) : undefined;
    const path = admitted?.path ?? validatePathParameters(route, event.pathParameters);
    const principal = admitted?.principal;
    if (principal)
      logger.appendKeys({ tenantId: principal.kind === 'org_member' ? principal.orgId : 'platform' });
    const body = options.body ? parseBody(event, options.body) : undefined;
    const query = options.query
      ? validate(options.query, event.queryStringParameters ?? {}, 'query')
      : undefined;
    const run = () =>
      options.handle({
        body: body as Infer<BS>,
        query: query as Infer<QS>,
        path: path as PathOf<O>,
        principal: principal as Principal,
        request: requestContextOf(event),
        correlationId,
        event,
        context,
      });
    if (!admitted) return run();
    // A read changes nothing, so it may run while the request is counted; a change waits for the count.
    if (route.method === 'GET') {
      const [response] = await Promise.all([run(), admitted.rate]);
      return response;
    }
    await admitted.rate;
    return run();
  };
  return middy(base)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(errorMapper(options.operation));
}

type RouteHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * One function serving several routes: dispatches on the exact route key API Gateway sends, to the
 * handler of that route's operation. A route the topology gives this function but no handler here
 * is a wiring bug, and fails loudly.
 */
export function byOperation(handlers: Partial<Record<Operation, RouteHandler>>): RouteHandler {
  const byRouteKey = new Map<string, RouteHandler>();
  for (const [operation, handle] of Object.entries(handlers) as [Operation, RouteHandler][]) {
    const route = routeOf(operation);
    byRouteKey.set(`${route.method} ${route.path}`, handle);
  }
  return (event, context) => {
    const handle = byRouteKey.get(event.routeKey);
    if (!handle) throw new Error(`No handler for route ${event.routeKey}`);
    return handle(event, context);
  };
}

/** Maps HubErrors to problem+json by class; anything else is a logged 500 that leaks nothing. */
function errorMapper(
  operation: string,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    after: async () => {
      metrics.addDimensions({ route: operation });
      metrics.addMetric('ApiResponse', MetricUnit.Count, 1);
    },
    onError: async (request) => {
      const error = request.error;
      const instance = request.event.rawPath;
      metrics.addDimensions({ route: operation });
      if (isHubError(error)) {
        if (error.status >= 500) logger.error('Request failed', { error });
        else logger.info('Request refused', { status: error.status, code: error.code });
        metrics.addMetric(error.status >= 500 ? 'ApiServerError' : 'ApiClientError', MetricUnit.Count, 1);
        request.response = problemResponse(error, instance);
      } else {
        logger.error('Unexpected error', { error: error as Error });
        metrics.addMetric('ApiServerError', MetricUnit.Count, 1);
        request.response = internalErrorResponse(instance, request.event.requestContext.requestId);
      }
    },
  };
}
