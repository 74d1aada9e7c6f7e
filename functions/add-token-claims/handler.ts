import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { makeTokenClaims } from '../../shared/identity/token-claims';
import { logger, tracer } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';

/** Cognito pre-token-generation (V2): the org and role claims in ID and access tokens. */
export const makeHandler = (tokenClaims: ReturnType<typeof makeTokenClaims>) =>
  middy(async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
    // A thrown error makes Cognito refuse the sign-in, which is what a suspended org must get.
    const claims = await tokenClaims({
      userAttributes: event.request.userAttributes,
      clientMetadata: event.request.clientMetadata,
      refresh: event.triggerSource === 'TokenGeneration_RefreshTokens',
    });
    logger.appendKeys({ tenantId: claims['custom:org_id'] ?? 'none' });
    event.response = {
      claimsAndScopeOverrideDetails: {
        idTokenGeneration: { claimsToAddOrOverride: claims },
        accessTokenGeneration: { claimsToAddOrOverride: claims },
      },
    };
    return event;
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }));

export const handler = makeHandler(
  makeTokenClaims({
    orgs: adapters.orgStore(),
    users: adapters.userStore(),
    grants: adapters.signInGrantReader(),
    accounts: adapters.poolAccounts(),
    clock: systemClock,
  }),
);
