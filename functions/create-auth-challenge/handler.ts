import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { logger, tracer } from '../../shared/observability/observability';
import { makeCreateAuthChallenge } from '../../shared/sso/auth-challenge';

/** Cognito Create Auth Challenge: names, privately, the user's pending one-time sign-in grant. */
export const makeHandler = (create: ReturnType<typeof makeCreateAuthChallenge>) =>
  middy(async (event: CreateAuthChallengeTriggerEvent): Promise<CreateAuthChallengeTriggerEvent> => {
    event.response = await create({ userAttributes: event.request.userAttributes });
    return event;
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }));

export const handler = makeHandler(makeCreateAuthChallenge({ grants: adapters.signInGrants() }));
