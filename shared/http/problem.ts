import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HubError, problemType } from '../errors';

/** An RFC 9457 problem+json response for a hub error. */
export function problemResponse(error: HubError, instance: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  const retryAfter = error.extensions.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
  return {
    statusCode: error.status,
    headers,
    body: JSON.stringify({
      type: problemType(error.code),
      title: error.title,
      status: error.status,
      detail: error.message,
      instance,
      ...error.extensions,
    }),
  };
}

/** The answer to an error that is not a HubError: nothing about the failure leaks out. */
export function internalErrorResponse(
  instance: string,
  requestId: string,
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 500,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({
      type: problemType('internal'),
      title: 'Internal error',
      status: 500,
      detail: `The hub failed to handle the request; quote request id ${requestId} when reporting it`,
      instance,
    }),
  };
}

export function isHubError(error: unknown): error is HubError {
  return error instanceof HubError;
}
