import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError } from '../errors';
import { ScimError, scimErrorResponse } from '../scim/scim-error';
import { routes } from '../topology';
import { problemResponse } from './problem';

const compiled = routes.map((route) => ({
  method: route.method,
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/**
 * The answer to a request no route matches (the API's `$default` route): a problem+json 405 with
 * `Allow` when its path has other methods, otherwise a 404 that points at the API's description.
 * It reads nothing and names no tenant, so a probe learns only which paths the API documents.
 */
export function answerUnmatchedRoute(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath;
  // The path is echoed in the detail: bounded, so a long probe does not make a long answer.
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  const allowed = [...new Set(compiled.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
  // The SCIM service answers in SCIM's error schema, even for what it does not have: IdPs parse it.
  if (path === '/scim/v2' || path.startsWith('/scim/v2/')) {
    if (allowed.length > 0) {
      const response = scimErrorResponse(
        new ScimError(405, `${shown} takes ${allowed.join(', ')}, not ${method}`),
      );
      return { ...response, headers: { ...response.headers, allow: allowed.join(', ') } };
    }
    return scimErrorResponse(new ScimError(404, `The SCIM service has no ${method} ${shown}`));
  }
  if (allowed.length > 0) {
    const response = problemResponse(
      new MethodNotAllowedError(`${shown} takes ${allowed.join(', ')}, not ${method}`, {
        extensions: { allow: allowed },
      }),
      path,
    );
    return { ...response, headers: { ...response.headers, allow: allowed.join(', ') } };
  }
  return problemResponse(
    new NotFoundError(`No route is ${method} ${shown}; the API is described at GET /v1/openapi.json`),
    path,
  );
}
