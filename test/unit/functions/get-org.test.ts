import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/get-org/handler';
import type { Principal } from '../../../shared/identity/principal';
import { apiEvent, lambdaContext, member, parse, platformAdmin } from '../../support/api-events';

const ddb = mockClient(DynamoDBDocumentClient);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const OTHER = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const profile = {
  id: ORG,
  name: 'Acme',
  slug: 'acme',
  status: 'active',
  createdAt: '2026-11-27T10:00:00.000Z',
};

const getOrg = async (orgId: string, principal: Principal) =>
  parse(
    await handler(
      apiEvent({
        method: 'GET',
        path: `/v1/orgs/${orgId}`,
        routePath: '/v1/orgs/{orgId}',
        principal,
        pathParameters: { orgId },
      }),
      lambdaContext(),
    ),
  );

beforeEach(() => {
  ddb.reset();
  // Anything else read (the org's custom roles and policies) does not exist.
  ddb.on(GetCommand).resolves({});
  ddb
    .on(GetCommand, { Key: { PK: `T#${ORG}#ORG`, SK: 'PROFILE' } })
    .resolves({ Item: { PK: `T#${ORG}#ORG`, SK: 'PROFILE', ...profile } });
  ddb.on(GetCommand, { Key: { PK: `T#${OTHER}#ORG`, SK: 'PROFILE' } }).resolves({});
});

describe('GET /v1/orgs/{orgId}', () => {
  it("lets a member read their own org, with default settings and without the store's key attributes", async () => {
    const res = await getOrg(ORG, member(ORG, 'viewer'));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      ...profile,
      plan: 'team',
      settings: {
        allowedEmailDomains: [],
        sessionLifetimeMinutes: 480,
        sessionIdleMinutes: null,
        mfaRequired: false,
        stepUpMinutes: 15,
        ipAllowList: [],
        defaultRole: 'member',
        dataRetentionDays: 2555,
      },
    });
  });

  it('refuses a member of another org without reading anything of the org addressed', async () => {
    const res = await getOrg(ORG, member(OTHER, 'owner'));
    expect(res.status).toBe(403);
    // Only the caller's own org is read: its allowance pays for the refusal, its trail records it.
    const read = ddb.commandCalls(GetCommand).map((c) => String(c.args[0].input.Key?.PK));
    expect(read.filter((pk) => pk.startsWith(`T#${ORG}#`))).toEqual([]);
  });

  it('answers 404 to a platform admin for an org that does not exist or an id that is not an org id', async () => {
    expect((await getOrg(OTHER, platformAdmin)).status).toBe(404);
    const malformed = await getOrg('org_../../x', platformAdmin);
    expect(malformed.status).toBe(404);
    expect(malformed.headers['content-type']).toBe('application/problem+json');
  });
});
