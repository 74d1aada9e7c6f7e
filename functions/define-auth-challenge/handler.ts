import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { logger, tracer } from '../../shared/observability/observability';
import { defineAuthChallenge } from '../../shared/sso/auth-challenge';

/** Cognito Define Auth Challenge: an SSO sign-in's one custom challenge, then tokens or a failure. */
export const handler = middy(
  async (event: DefineAuthChallengeTriggerEvent): Promise<DefineAuthChallengeTriggerEvent> => {
    const answer = defineAuthChallenge({
      session: event.request.session,
      userNotFound: event.request.userNotFound,
    });
    event.response = {
      challengeName: answer.challengeName ?? '',
      issueTokens: answer.issueTokens,
      failAuthentication: answer.failAuthentication,
    };
    return event;
  },
)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }));
