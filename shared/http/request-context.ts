import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RequestContext } from '../audit/audit-record';

/** The request facts the audit trail records. */
export function requestContextOf(event: APIGatewayProxyEventV2): RequestContext {
  return {
    requestId: event.requestContext.requestId,
    ip: event.requestContext.http.sourceIp,
    userAgent: event.requestContext.http.userAgent ?? '',
  };
}

/** The caller's correlation id when it sent one, else the request id. */
export function correlationIdOf(event: APIGatewayProxyEventV2): string {
  const sent = event.headers?.['x-correlation-id'];
  return sent && /^[\w.:-]{1,128}$/.test(sent) ? sent : event.requestContext.requestId;
}
