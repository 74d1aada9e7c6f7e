import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
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
  it('puts the org and role into both the ID and the access token', async () => {
    ddb.on(GetCommand).resolves(profile('active'));
    const out = await handler(
      trigger({ sub: 'u1', 'custom:org_id': ORG, 'custom:role': 'admin' }),
      lambdaContext(),
    );
    const expected = { 'custom:org_id': ORG, 'custom:role': 'admin' };
    expect(out.response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: expected },
      accessTokenGeneration: { claimsToAddOrOverride: expected },
    });
  });

  it("gives a user without a valid role the org's default role", async () => {
    ddb.on(GetCommand).resolves(profile('active', 'viewer'));
    const out = await handler(
      trigger({ sub: 'u1', 'custom:org_id': ORG, 'custom:role': 'emperor' }),
      lambdaContext(),
    );
    expect(
      out.response.claimsAndScopeOverrideDetails.idTokenGeneration?.claimsToAddOrOverride?.['custom:role'],
    ).toBe('viewer');
  });

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

  it('adds nothing for a user who belongs to no org (a platform admin)', async () => {
    const out = await handler(trigger({ sub: 'admin' }), lambdaContext());
    expect(out.response.claimsAndScopeOverrideDetails.idTokenGeneration?.claimsToAddOrOverride).toEqual({});
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0);
  });
});
