import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  DependencyUnavailableError,
  ForbiddenError,
  HubError,
  QuotaExceededError,
  UnauthenticatedError,
  ValidationError,
} from '../errors';
import type { GateDeps } from '../http/api-handler';
import { admit } from '../http/api-handler';
import { problemResponse } from '../http/problem';
import type { Principal } from '../identity/principal';
import { principalFromContext, principalToContext } from '../identity/principal';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import { PLANS } from '../tenancy/plans';
import { realtime } from '../topology';
import type { RealtimeConnectionStore } from './connections';
import { expiryOf } from './connections';
import { FEED_ROUTE, feedRequestFor } from './feed-request';
import type { ServerMessage } from './protocol';
import { lowerCaseHeaders, parseClientMessage, upgradeCredential } from './protocol';

/** An API Gateway WebSocket event, as the three routes receive it (headers on `$connect` only). */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly routeKey: string;
    readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    readonly connectionId: string;
    readonly requestId: string;
    readonly connectedAt: number;
    readonly domainName?: string;
    readonly stage?: string;
    readonly apiId?: string;
    readonly identity?: { readonly sourceIp?: string; readonly userAgent?: string };
  };
  readonly headers?: Readonly<Record<string, string>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** What a route answers: `$connect`'s status decides the upgrade; `$default`'s body goes to the client. */
export interface WebSocketResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface RealtimeSessionDeps {
  readonly authenticate: (authorization: string | undefined) => Promise<Principal>;
  readonly connections: RealtimeConnectionStore;
  readonly gate: GateDeps;
  readonly clock: Clock;
  /** When the credential stops being valid (a JWT's `exp`, a key's expiry): stored and enforced by the fan-out. */
  readonly credentialExpiry?: (
    authorization: string | undefined,
    principal: Principal,
  ) => Promise<Date | null>;
  /** Records an API key's use, as the request authorizer does. */
  readonly recordKeyUse?: (orgId: string, keyId: string, ip: string, at: Date) => Promise<void> | undefined;
}

const reply = (message: ServerMessage): WebSocketResult => ({
  statusCode: 200,
  body: JSON.stringify(message),
});
const errorReply = (error: HubError): WebSocketResult =>
  reply({ type: 'error', title: error.title, detail: error.message });

/** The request the gate sees for a connection: the feed's route, the org, and where the client is. */
const feedRequest = (event: WebSocketEvent, orgId: string): APIGatewayProxyEventV2 =>
  feedRequestFor({
    orgId,
    sourceIp: event.requestContext.identity?.sourceIp ?? '',
    requestId: event.requestContext.requestId,
    userAgent: event.requestContext.identity?.userAgent ?? '',
    apiId: event.requestContext.apiId,
    domainName: event.requestContext.domainName,
    stage: event.requestContext.stage,
  });

/**
 * The gate's answer when it could not ask its stores (the table unreachable): neither an admission
 * nor a refusal of the person, but a 503 to retry — the connection is never admitted on a guess.
 */
function failClosed(error: unknown): HubError {
  if (error instanceof HubError) return error;
  logger.warn('Could not check a real-time connection: refused for now', { error: error as Error });
  return new DependencyUnavailableError('Could not check the credential just now: connect again shortly', {
    cause: error,
  });
}

/** The three routes of the real-time API: open (authenticated), messages, close. */
export function makeRealtimeSession(deps: RealtimeSessionDeps) {
  /** Admits the principal to the org's feed, or throws the gate's refusal. */
  async function admitToFeed(event: WebSocketEvent, principal: Principal, orgId: string): Promise<Principal> {
    const admitted = await admit(feedRequest(event, orgId), FEED_ROUTE, deps.gate, principal);
    await admitted.rate;
    if (principal.kind === 'platform_admin') {
      // The gate lets platform admins through without reading the org: the fan-out needs it to exist.
      const org = await deps.gate.tenants.get(orgId);
      if (!org) throw new ForbiddenError('The organisation does not exist');
    }
    return admitted.principal;
  }

  async function connect(event: WebSocketEvent): Promise<WebSocketResult> {
    const headers = lowerCaseHeaders(event.headers);
    const { authorization, subprotocol } = upgradeCredential(headers);
    const instance = realtime.path;
    try {
      if (headers['sec-websocket-protocol'] && !subprotocol) {
        throw new ValidationError(
          `Offer the ${'hub.v1'} subprotocol (with hub.bearer.<token>, if you send the token so)`,
        );
      }
      const principal = await deps.authenticate(authorization);
      const requested = event.queryStringParameters?.orgId;
      const orgId = requested ?? (principal.kind === 'org_member' ? principal.orgId : undefined);
      if (!orgId) throw new ValidationError('A platform admin names the organisation: ?orgId=org_…');
      logger.appendKeys({ tenantId: orgId });
      if (principal.kind === 'org_member' && principal.type === 'api_key') {
        await deps.recordKeyUse?.(
          principal.orgId,
          principal.id,
          event.requestContext.identity?.sourceIp ?? '',
          deps.clock.now(),
        );
      }
      const admitted = await admitToFeed(event, principal, orgId);
      const now = deps.clock.now();
      const [credentialExpiresAt, org, open] = await Promise.all([
        deps.credentialExpiry ? deps.credentialExpiry(authorization, principal) : null,
        deps.gate.tenants.get(orgId),
        deps.connections.countOpen(orgId, now),
      ]);
      if (credentialExpiresAt && credentialExpiresAt <= now)
        throw new UnauthenticatedError('The credential has expired');
      const limit = org ? PLANS[org.plan].realtimeConnections : 0;
      if (open >= limit)
        throw new QuotaExceededError(
          `The plan allows ${limit} open real-time connections per organisation: close one first`,
        );
      const connectedAt = new Date(event.requestContext.connectedAt || now.getTime());
      await deps.connections.open({
        orgId,
        connectionId: event.requestContext.connectionId,
        principal: principalToContext(admitted),
        types: [],
        connectedAt: connectedAt.toISOString(),
        expiresAt: expiryOf(connectedAt, now).toISOString(),
        ...(credentialExpiresAt ? { credentialExpiresAt: credentialExpiresAt.toISOString() } : {}),
        sourceIp: event.requestContext.identity?.sourceIp ?? '',
      });
      logger.info('Real-time connection opened', { connectionId: event.requestContext.connectionId });
      return {
        statusCode: 200,
        ...(subprotocol ? { headers: { 'Sec-WebSocket-Protocol': subprotocol } } : {}),
      };
    } catch (caught) {
      const error = failClosed(caught);
      logger.info('Real-time connection refused', { status: error.status, code: error.code });
      const response = problemResponse(error, instance);
      return {
        statusCode: response.statusCode ?? error.status,
        headers: response.headers as Record<string, string>,
        body: String(response.body),
      };
    }
  }

  async function message(event: WebSocketEvent): Promise<WebSocketResult> {
    const connectionId = event.requestContext.connectionId;
    const orgId = await deps.connections.orgOf(connectionId);
    if (!orgId) return errorReply(new UnauthenticatedError('The connection is not open: connect again'));
    logger.appendKeys({ tenantId: orgId });
    const raw = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) return reply(parsed.error);
    const now = deps.clock.now();
    const connection = await deps.connections.get(orgId, connectionId);
    const principal = principalFromContext(connection?.principal);
    if (
      !connection ||
      !principal ||
      new Date(connection.expiresAt) <= now ||
      (connection.credentialExpiresAt !== undefined && new Date(connection.credentialExpiresAt) <= now)
    )
      return errorReply(new UnauthenticatedError('The connection has expired: connect again'));
    try {
      // Checked again on every message (a client pings within the idle limit): a role changed, a
      // user deactivated or an org suspended since the connection opened stops its events.
      await admitToFeed(event, principal, orgId);
    } catch (caught) {
      const error = failClosed(caught);
      // A store that cannot answer says nothing about the caller: the subscription is kept as it was.
      if (!(error instanceof DependencyUnavailableError))
        await deps.connections.touch(orgId, connectionId, now, []);
      return errorReply(error);
    }
    if (parsed.message.action === 'ping') {
      const open = await deps.connections.touch(orgId, connectionId, now);
      return open
        ? reply({ type: 'pong' })
        : errorReply(new UnauthenticatedError('The connection has expired: connect again'));
    }
    const types = [...new Set(parsed.message.types)];
    if (!(await deps.connections.touch(orgId, connectionId, now, types))) {
      return errorReply(new UnauthenticatedError('The connection has expired: connect again'));
    }
    return reply({ type: 'subscribed', orgId, types });
  }

  async function disconnect(event: WebSocketEvent): Promise<WebSocketResult> {
    const connectionId = event.requestContext.connectionId;
    const orgId = await deps.connections.orgOf(connectionId);
    if (orgId) await deps.connections.close(orgId, connectionId);
    return { statusCode: 200 };
  }

  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    switch (event.requestContext.eventType) {
      case 'CONNECT':
        return connect(event);
      case 'DISCONNECT':
        return disconnect(event);
      default:
        return message(event);
    }
  };
}
