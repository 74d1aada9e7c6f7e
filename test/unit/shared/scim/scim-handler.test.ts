import { ConflictError, NotFoundError, UniquenessError } from '../../../../shared/errors';
import { generateApiKey } from '../../../../shared/identity/api-key-format';
import type { ScimTokenGrant } from '../../../../shared/identity/scim-token';
import { generateScimToken, hashScimToken } from '../../../../shared/identity/scim-token-format';
import { resourceType, schemaById } from '../../../../shared/scim/discovery';
import type { ScimOperation } from '../../../../shared/scim/scim-handler';
import { scimHandler, toScimError } from '../../../../shared/scim/scim-handler';
import type { Org } from '../../../../shared/tenancy/org';
import { OrgSchema } from '../../../../shared/tenancy/org';
import { apiEvent, lambdaContext } from '../../../support/api-events';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9';

const anOrg = (settings: Record<string, unknown> = {}, status = 'active'): Org =>
  OrgSchema.parse({
    id: ORG,
    name: 'Acme',
    slug: 'acme',
    status,
    createdAt: '2026-11-01T00:00:00.000Z',
    settings,
  });

function setup(org: Org = anOrg(), allowed = true, extra: Parameters<typeof scimHandler>[1] = {}) {
  const token = generateScimToken();
  const grants = new Map<string, ScimTokenGrant>([
    [hashScimToken(token), { scope: 'scim', tokenId: 'scim_1', name: 'Okta', orgId: ORG }],
  ]);
  let lookups = 0;
  const seen: Parameters<ScimOperation>[0][] = [];
  const handler = scimHandler(
    {
      tokens: {
        findByHash: async (hash) => {
          lookups++;
          return grants.get(hash) ?? null;
        },
      },
      tenants: { get: async (id) => (id === ORG ? org : null) },
      usage: { consumeRate: async () => ({ allowed, retryAfterSeconds: 7 }) },
    },
    {
      scimGetUser: async (req) => {
        seen.push(req);
        return { status: 200, body: { id: req.path.userId }, headers: { etag: 'W/"v1"' } };
      },
      scimCreateUser: async (req) => {
        seen.push(req);
        return { status: 201, body: req.body };
      },
      ...extra,
    },
  );
  const call = (options: {
    method: string;
    routePath: string;
    path?: string;
    authorization?: string | null;
    headers?: Record<string, string>;
    rawBody?: string;
    pathParameters?: Record<string, string>;
  }) =>
    handler(
      apiEvent({
        method: options.method,
        path: options.path ?? options.routePath,
        routePath: options.routePath,
        rawBody: options.rawBody,
        pathParameters: options.pathParameters,
        headers: {
          ...(options.authorization === null
            ? {}
            : { authorization: options.authorization ?? `Bearer ${token}` }),
          ...options.headers,
        },
      }),
      lambdaContext(),
    );
  return { token, call, seen, lookups: () => lookups, revoke: () => grants.clear() };
}

const bodyOf = (res: { body?: string }) => JSON.parse(String(res.body));
const getUser = { method: 'GET', routePath: '/scim/v2/Users/{userId}', pathParameters: { userId: USER } };

describe("the SCIM service's gate", () => {
  it('admits the org’s SCIM token, and names the token, the org and channel scim to the operation', async () => {
    const { call, seen } = setup();
    const res = await call(getUser);
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/scim+json');
    expect(res.headers?.etag).toBe('W/"v1"');
    expect(seen[0]?.caller).toMatchObject({
      org: { id: ORG },
      principal: { kind: 'org_member', type: 'api_key', id: 'scim_1', orgId: ORG },
      request: { channel: 'scim', requestId: 'req-1' },
      baseUrl: 'http://localhost/scim/v2',
    });
  });

  it.each([
    ['no credential', null, 'Send "Authorization: Bearer <SCIM token>"'],
    [
      'an API key',
      `Bearer ${generateApiKey()}`,
      'An API key does not open the SCIM service; use a SCIM token (hubscim_…)',
    ],
    ['a JWT', 'Bearer eyJhbGciOi.eyJzdWIiOi.sig', 'Only a SCIM token (hubscim_…) opens the SCIM service'],
    ['a made-up SCIM token', `Bearer hubscim_${'A'.repeat(36)}`, 'The SCIM token is malformed'],
  ])(
    'refuses %s with a 401 in SCIM’s error schema, before any read',
    async (_what, authorization, detail) => {
      const { call, seen, lookups } = setup();
      const res = await call({ ...getUser, authorization });
      expect(res.statusCode).toBe(401);
      expect(res.headers?.['content-type']).toBe('application/scim+json');
      expect(res.headers?.['www-authenticate']).toBe('Bearer realm="scim"');
      expect(bodyOf(res)).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '401',
        detail,
      });
      expect(lookups()).toBe(0);
      expect(seen).toHaveLength(0);
    },
  );

  it('refuses a revoked token, a suspended org, a network off the allow-list and a spent rate', async () => {
    const revoked = setup();
    revoked.revoke();
    expect((await revoked.call(getUser)).statusCode).toBe(401);
    expect((await setup(anOrg({}, 'suspended')).call(getUser)).statusCode).toBe(403);
    expect((await setup(anOrg({ ipAllowList: ['198.51.100.0/24'] })).call(getUser)).statusCode).toBe(403);
    const limited = await setup(anOrg(), false).call(getUser);
    expect(limited.statusCode).toBe(429);
    expect(bodyOf(limited).schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('answers a malformed id, a route it does not serve, a wrong media type and bad JSON in SCIM’s schema', async () => {
    const { call } = setup();
    const badId = await call({ ...getUser, pathParameters: { userId: 'nope' } });
    expect(badId.statusCode).toBe(404);
    expect(badId.headers?.['content-type']).toBe('application/scim+json');
    const unserved = await call({
      method: 'DELETE',
      routePath: '/scim/v2/Users/{userId}',
      pathParameters: { userId: USER },
    });
    expect(unserved.statusCode).toBe(404);
    const post = { method: 'POST', routePath: '/scim/v2/Users' };
    const xml = await call({ ...post, headers: { 'content-type': 'application/xml' }, rawBody: '<x/>' });
    expect(xml.statusCode).toBe(415);
    const broken = await call({
      ...post,
      headers: { 'content-type': 'application/scim+json' },
      rawBody: '{',
    });
    expect(bodyOf(broken)).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    const proto = await call({
      ...post,
      headers: { 'content-type': 'application/json' },
      rawBody: '{"__proto__":{"x":1}}',
    });
    expect(bodyOf(proto)).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    const ok = await call({
      ...post,
      headers: { 'content-type': 'application/scim+json' },
      rawBody: '{"userName":"a"}',
    });
    expect(ok.statusCode).toBe(201);
  });
});

describe('the discovery documents by id (RFC 7644 §4)', () => {
  const discovery = () =>
    setup(anOrg(), true, {
      scimGetResourceType: async ({ caller, path }) => ({
        status: 200,
        body: resourceType(caller.baseUrl, path.resourceTypeId ?? ''),
      }),
      scimGetSchema: async ({ caller, path }) => ({
        status: 200,
        body: schemaById(caller.baseUrl, path.schemaId ?? ''),
      }),
    });
  const resourceTypeRoute = '/scim/v2/ResourceTypes/{resourceTypeId}';
  const schemaRoute = '/scim/v2/Schemas/{schemaId}';

  it('answers the User and Group resource types, and a 404 in SCIM’s schema for any other', async () => {
    const { call } = discovery();
    const user = await call({
      method: 'GET',
      routePath: resourceTypeRoute,
      pathParameters: { resourceTypeId: 'User' },
    });
    expect(user.statusCode).toBe(200);
    expect(bodyOf(user)).toMatchObject({
      id: 'User',
      endpoint: '/Users',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      meta: { location: 'http://localhost/scim/v2/ResourceTypes/User' },
    });
    const group = await call({
      method: 'GET',
      routePath: resourceTypeRoute,
      pathParameters: { resourceTypeId: 'Group' },
    });
    expect(bodyOf(group)).toMatchObject({ id: 'Group', endpoint: '/Groups' });
    for (const resourceTypeId of ['Device', 'user', '../Users', 'x'.repeat(100)]) {
      const res = await call({
        method: 'GET',
        routePath: resourceTypeRoute,
        pathParameters: { resourceTypeId },
      });
      expect(res.statusCode).toBe(404);
      expect(res.headers?.['content-type']).toBe('application/scim+json');
      expect(bodyOf(res)).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '404',
      });
    }
  });

  it('answers each schema by its URN, and a 404 in SCIM’s schema for an unknown or malformed one', async () => {
    const { call } = discovery();
    for (const schemaId of [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]) {
      const res = await call({ method: 'GET', routePath: schemaRoute, pathParameters: { schemaId } });
      expect(res.statusCode).toBe(200);
      expect(bodyOf(res)).toMatchObject({
        id: schemaId,
        meta: { location: `http://localhost/scim/v2/Schemas/${schemaId}` },
      });
    }
    const user = bodyOf(
      await call({
        method: 'GET',
        routePath: schemaRoute,
        pathParameters: { schemaId: 'urn:ietf:params:scim:schemas:core:2.0:User' },
      }),
    );
    expect(user.attributes.find((a: { name: string }) => a.name === 'groups')).toMatchObject({
      mutability: 'readOnly',
      multiValued: true,
    });
    for (const schemaId of ['urn:ietf:params:scim:schemas:core:2.0:Device', 'User', 'urn:a b']) {
      const res = await call({ method: 'GET', routePath: schemaRoute, pathParameters: { schemaId } });
      expect(res.statusCode).toBe(404);
      expect(bodyOf(res)).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '404',
      });
    }
  });
});

describe('hub errors in SCIM terms', () => {
  it('maps by class: a taken unique value is uniqueness, another conflict is not', () => {
    expect(toScimError(new UniquenessError('taken'))).toMatchObject({ status: 409, scimType: 'uniqueness' });
    expect(toScimError(new ConflictError('changed'))).toMatchObject({ status: 409, scimType: undefined });
    expect(toScimError(new NotFoundError('none'))).toMatchObject({ status: 404 });
    expect(toScimError(new Error('boom'))).toBeNull();
  });
});
