import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { jwtConfig } from '../../shared/config/config';
import { UnauthenticatedError } from '../../shared/errors';
import { makeAuthenticator } from '../../shared/identity/authenticate';
import { makeJwtVerify } from '../../shared/identity/jwt-verifier';
import { LastUsedRecorder } from '../../shared/identity/last-used';
import { principalToContext } from '../../shared/identity/principal';
import { logger, tracer } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';

export interface AuthorizerResult {
  readonly isAuthorized: boolean;
  readonly context: Record<string, string>;
}

/**
 * The HTTP API's one authorizer: accepts an API key or a JWT. A bad credential is let through
 * with a reason and no principal, so the route answers 401 as problem+json; every route refuses
 * a request without a principal before it does anything.
 */
export const makeHandler = (
  authenticate: ReturnType<typeof makeAuthenticator>,
  lastUsed?: LastUsedRecorder,
) =>
  middy(async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    try {
      const principal = await authenticate(event.headers?.authorization);
      logger.appendKeys({ tenantId: principal.kind === 'org_member' ? principal.orgId : 'platform' });
      if (principal.kind === 'org_member' && principal.type === 'api_key') {
        await lastUsed?.record(principal.orgId, principal.id, event.requestContext.http.sourceIp, new Date());
      }
      return { isAuthorized: true, context: principalToContext(principal) };
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      logger.info('Credential refused', { reason: error.message });
      return { isAuthorized: true, context: { reason: error.message } };
    }
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }));

const keys = adapters.apiKeyStore();

export const handler = makeHandler(
  makeAuthenticator({ keys, verifyJwt: makeJwtVerify(jwtConfig()), clock: systemClock }),
  new LastUsedRecorder(keys),
);
