import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/add-token-claims/handler';
import { lambdaContext } from '../../support/api-events';

const ddb = mockClient(DynamoDBDocumentClient);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const profile = (status: string, defaultRole = 'viewer') => ({
  Item: {
    id: ORG,
    name: 'Acme',
    slug: 'acme',
    status,
    createdAt: '2026-11-27T10:00:00.000Z',
    settings: { defaultRole },
  },
});

const trigger = (userAttributes: Record<string, string>) =>
  ({
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'us-east-1',
    userPoolId: 'us-east-1_test',
    userName: 'u1',
    callerContext: { awsSdkVersion: '3', clientId: 'c' },
    request: { userAttributes, groupConfiguration: {} },
    response: { claimsAndScopeOverrideDetails: {} },
  }) as unknown as PreTokenGenerationV2TriggerEvent;

beforeEach(() => ddb.reset());

describe('pre-token-generation trigger', () => {
  it('refuses a token to a member of a suspended or missing org', async () => {
    ddb.on(GetCommand).resolves(profile('suspended'));
    await expect(handler(trigger({ sub: 'u1', 'custom:org_id': ORG }), lambdaContext())).rejects.toThrow(
      /suspended/,
    );
    ddb.on(GetCommand).resolves({});
    await expect(handler(trigger({ sub: 'u1', 'custom:org_id': ORG }), lambdaContext())).rejects.toThrow(
      /does not exist/,
    );
  });

  it("maps a verified email to the org's hub user: its id and role go into the token, and a deactivated user gets none", async () => {
    const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
    const user = (status: string) => ({
      Item: {
        id: USER,
        orgId: ORG,
        email: 'ada@acme.test',
        name: 'Ada',
        role: 'auditor',
        status,
        createdAt: '2026-11-27T10:00:00.000Z',
        createdBy: 'key_1',
      },
    });
    ddb.on(GetCommand).resolves(profile('active'));
    ddb
      .on(GetCommand, { Key: { PK: `T#${ORG}#USEREMAIL`, SK: 'ada@acme.test' } })
      .resolves({ Item: { userId: USER } });
    ddb.on(GetCommand, { Key: { PK: `T#${ORG}#USER`, SK: USER } }).resolves(user('active'));
    // The pool account is not bound yet: its first token binds it to this hub user.
    ddb.on(GetCommand, { Key: { PK: `T#${ORG}#POOLACCT`, SK: 'cognito-sub' } }).resolves({});
    ddb.on(PutCommand).resolves({});
    const attributes = {
      sub: 'cognito-sub',
      email: 'Ada@Acme.test',
      email_verified: 'true',
      'custom:org_id': ORG,
      'custom:role': 'owner',
    };
    const out = await handler(trigger(attributes), lambdaContext());
    expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride).toEqual({
      'custom:org_id': ORG,
      'custom:role': 'auditor',
      'custom:user_id': USER,
      // A password sign-in of a user with no authenticator app.
      'custom:amr': 'pwd',
    });
    expect(out.response.claimsAndScopeOverrideDetails.idTokenGeneration?.claimsToAddOrOverride).toEqual(
      out.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride,
    );
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ PK: `T#${ORG}#POOLACCT`, SK: 'cognito-sub', userId: USER }),
      ConditionExpression: 'attribute_not_exists(PK)',
    });
    // Bound to another hub user (the address was theirs): no token.
    ddb
      .on(GetCommand, { Key: { PK: `T#${ORG}#POOLACCT`, SK: 'cognito-sub' } })
      .resolves({ Item: { userId: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3F9' } });
    await expect(handler(trigger(attributes), lambdaContext())).rejects.toThrow(/another hub user/);
    ddb.on(GetCommand, { Key: { PK: `T#${ORG}#USER`, SK: USER } }).resolves(user('deactivated'));
    await expect(handler(trigger(attributes), lambdaContext())).rejects.toThrow(/deactivated/);
  });

  it("refuses, rather than give the org's default role to, a sign-in that maps to no hub user", async () => {
    ddb.on(GetCommand).resolves(profile('active', 'viewer'));
    const attributes = {
      sub: 'cognito-sub',
      email: 'nobody@acme.test',
      email_verified: 'true',
      'custom:org_id': ORG,
      'custom:role': 'owner',
    };
    // No user has this email in the org.
    await expect(handler(trigger(attributes), lambdaContext())).rejects.toThrow(/no user with this email/);
    // An unverified email proves nothing: no user is looked up, and no token is given.
    ddb.reset();
    ddb.on(GetCommand).resolves(profile('active', 'viewer'));
    await expect(
      handler(trigger({ ...attributes, email_verified: 'false' }), lambdaContext()),
    ).rejects.toThrow(/no verified email/);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it('adds nothing for a user who belongs to no org (a platform admin)', async () => {
    const out = await handler(trigger({ sub: 'admin' }), lambdaContext());
    expect(out.response.claimsAndScopeOverrideDetails.idTokenGeneration?.claimsToAddOrOverride).toEqual({});
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0);
  });
});
