import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as createHandler } from '../../../functions/create-auth-challenge/handler';
import { handler as defineHandler } from '../../../functions/define-auth-challenge/handler';
import { handler as verifyHandler } from '../../../functions/verify-auth-challenge/handler';
import { hashGrantSecret } from '../../../shared/sso/sign-in-grants';
import { lambdaContext } from '../../support/api-events';

const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => ddb.reset());

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const userAttributes = { sub: '7f9c', email: 'ada@acme.test', email_verified: 'true', 'custom:org_id': ORG };
const base = {
  version: '1',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_pool',
  userName: '7f9c',
  callerContext: { awsSdkVersion: '3', clientId: 'c' },
};
const grantItem = (secret: string) => ({
  Item: {
    grantId: 'g1',
    username: 'ada@acme.test',
    orgId: ORG,
    userId: 'usr_1',
    amr: ['ext'],
    connectionId: 'sso_1',
    secretHash: hashGrantSecret(secret),
    validUntil: new Date(Date.now() + 60_000).toISOString(),
  },
});

describe('the custom auth triggers', () => {
  it('Define asks one custom challenge, then issues tokens for a right answer', async () => {
    const define = (session: unknown[]) =>
      defineHandler(
        {
          ...base,
          triggerSource: 'DefineAuthChallenge_Authentication',
          request: { userAttributes, session },
          response: {},
        } as unknown as DefineAuthChallengeTriggerEvent,
        lambdaContext(),
      );
    expect((await define([])).response).toEqual({
      challengeName: 'CUSTOM_CHALLENGE',
      issueTokens: false,
      failAuthentication: false,
    });
    expect(
      (await define([{ challengeName: 'CUSTOM_CHALLENGE', challengeResult: true }])).response,
    ).toMatchObject({ issueTokens: true, failAuthentication: false });
  });

  it("Create names the user's grant privately, from the domain table", async () => {
    ddb.on(GetCommand).resolves(grantItem('s3cret'));
    const out = await createHandler(
      {
        ...base,
        triggerSource: 'CreateAuthChallenge_Authentication',
        request: { userAttributes, challengeName: 'CUSTOM_CHALLENGE', session: [] },
        response: {},
      } as unknown as CreateAuthChallengeTriggerEvent,
      lambdaContext(),
    );
    expect(out.response).toMatchObject({
      publicChallengeParameters: {},
      privateChallengeParameters: { grantId: 'g1' },
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key?.PK).toMatch(/^P#SIGNINGRANT#/);
  });

  it('Verify spends the grant whose secret is the answer, and refuses another answer', async () => {
    ddb.on(GetCommand).resolves(grantItem('s3cret'));
    ddb.on(UpdateCommand).resolves({});
    const verify = (challengeAnswer: string) =>
      verifyHandler(
        {
          ...base,
          triggerSource: 'VerifyAuthChallengeResponse_Authentication',
          request: { userAttributes, privateChallengeParameters: { grantId: 'g1' }, challengeAnswer },
          response: {},
        } as unknown as VerifyAuthChallengeResponseTriggerEvent,
        lambdaContext(),
      );
    expect((await verify('wrong')).response).toEqual({ answerCorrect: false });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect((await verify('s3cret')).response).toEqual({ answerCorrect: true });
    // Spent by one conditional update that drops the secret; kept for the session's `amr`.
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET spentAt = :spentAt, expiresAt = :ttl REMOVE secretHash',
      ConditionExpression: 'grantId = :grantId AND attribute_not_exists(spentAt)',
    });
  });
});
