import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { logger, tracer } from '../../shared/observability/observability';
import { makeVerifyAuthChallenge } from '../../shared/sso/auth-challenge';

/** Cognito Verify Auth Challenge Response: the answer must be a pending grant's secret, spent once. */
export const makeHandler = (verify: ReturnType<typeof makeVerifyAuthChallenge>) =>
  middy(
    async (
      event: VerifyAuthChallengeResponseTriggerEvent,
    ): Promise<VerifyAuthChallengeResponseTriggerEvent> => {
      const grant = await verify({
        userAttributes: event.request.userAttributes,
        privateChallengeParameters: event.request.privateChallengeParameters,
        challengeAnswer: event.request.challengeAnswer,
      });
      // Never the answer: it is the grant's secret.
      logger.info('sign-in grant answered', { outcome: grant ? 'accepted' : 'refused' });
      if (grant) logger.appendKeys({ tenantId: grant.orgId });
      event.response = { answerCorrect: grant !== null };
      return event;
    },
  )
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }));

const clock = hubClock();
export const handler = makeHandler(
  makeVerifyAuthChallenge({ grants: adapters.signInGrants(), now: () => clock.now() }),
);
