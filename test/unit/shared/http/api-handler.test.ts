import type { AuditRecord } from '../../../../shared/audit/audit-record';
import type { OrgAccess } from '../../../../shared/authz/org-access';
import type { GateDeps } from '../../../../shared/http/api-handler';
import { apiHandler, json } from '../../../../shared/http/api-handler';
import { PATH_PARAMETERS, parameterNames } from '../../../../shared/http/path-parameters';
import type { Principal } from '../../../../shared/identity/principal';
import type { SessionState } from '../../../../shared/identity/session';
import { SessionGate } from '../../../../shared/identity/session-gate';
import { sessionIdOf } from '../../../../shared/identity/session-id';
import type { SessionUse } from '../../../../shared/ports/stores';
import type { Org } from '../../../../shared/tenancy/org';
import { OrgSchema } from '../../../../shared/tenancy/org';
import type { User } from '../../../../shared/tenancy/user';
import { routes } from '../../../../shared/topology';
import { apiEvent, lambdaContext, parse, platformAdmin } from '../../../support/api-events';

const ORG_A = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const ORG_B = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EB';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const nowSeconds = () => Math.floor(Date.now() / 1000);

const anOrg = (id: string, settings: Record<string, unknown> = {}): Org =>
  OrgSchema.parse({
    id,
    name: id,
    slug: id.toLowerCase(),
    status: 'active',
    createdAt: '2026-11-01T00:00:00.000Z',
    settings,
  });

const ada = (status: User['status'] = 'active'): User => ({
  id: ADA,
  orgId: ORG_A,
  email: 'ada@acme.test',
  name: 'Ada Lovelace',
  role: 'admin',
  status,
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'key_1',
});

/** A user token's principal as the authorizer resolved it: named by its user id until the gate reads the user. */
const adaToken = (overrides: Partial<Extract<Principal, { kind: 'org_member' }>> = {}): Principal => ({
  kind: 'org_member',
  type: 'user',
  id: ADA,
  name: ADA,
  orgId: ORG_A,
  role: 'admin',
  mfa: false,
  authTime: nowSeconds() - 60,
  ...overrides,
});

const orgKey = (orgId = ORG_A): Principal => ({
  kind: 'org_member',
  type: 'api_key',
  id: 'key_01JD3Q4ZK8M7X2V9N6B5C4D3E1',
  name: 'ci',
  orgId,
  role: 'admin',
});

class FakeGate implements GateDeps {
  orgs = new Map<string, Org>([
    [ORG_A, anOrg(ORG_A)],
    [ORG_B, anOrg(ORG_B)],
  ]);
  people = new Map<string, User>([[ADA, ada()]]);
  trail: AuditRecord[] = [];
  counted: string[] = [];
  rateLeft = 1000;
  orgReads: string[] = [];
  userReads = 0;
  tenants = {
    get: async (orgId: string) => {
      this.orgReads.push(orgId);
      return this.orgs.get(orgId) ?? null;
    },
  };
  audit = {
    append: async (record: AuditRecord) => {
      this.trail.push(record);
    },
  };
  usage = {
    consumeRate: async (orgId: string) => {
      this.counted.push(orgId);
      this.rateLeft--;
      return { allowed: this.rateLeft >= 0, retryAfterSeconds: 30 };
    },
  };
  users = {
    get: async (_orgId: string, userId: string) => {
      this.userReads++;
      return this.people.get(userId) ?? null;
    },
  };
  sessionState: SessionState = { session: null, revokedBefore: null };
  sessionUses: SessionUse[] = [];
  sessions = new SessionGate({
    state: async () => this.sessionState,
    recordUse: async (use) => {
      this.sessionUses.push(use);
    },
  });
  access = { get: async (): Promise<OrgAccess> => ({ roles: [], policies: [] }) };
  facts = {
    load: async () => {
      throw new Error('no policies here');
    },
  };
}

/** GET /v1/orgs/{orgId} through the gate, answering with the principal the handler was given. */
async function getOrg(gate: FakeGate, principal: Principal, orgId = ORG_A) {
  const handler = apiHandler({
    operation: 'getOrg',
    gate,
    handle: async ({ principal: seen }) => json(200, seen),
  });
  return parse(
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
}

describe('the gate: identities map to active hub users', () => {
  it('names a user from the hub user, never from a claim, for the handler, audit records and policies', async () => {
    const res = await getOrg(new FakeGate(), adaToken({ name: 'mallory@evil.test' }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: ADA, name: 'Ada Lovelace', email: 'ada@acme.test' });
  });

  it('refuses a user token whose hub user is missing or deactivated, and audits it in their org', async () => {
    const gate = new FakeGate();
    const ghost = await getOrg(
      gate,
      adaToken({ id: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9', name: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9' }),
    );
    expect(ghost.status).toBe(403);
    expect(ghost.json.detail).toMatch(/no user of this organisation/);
    gate.people.set(ADA, ada('deactivated'));
    const deactivated = await getOrg(gate, adaToken());
    expect(deactivated.status).toBe(403);
    expect(deactivated.json.detail).toMatch(/deactivated/);
    expect(gate.trail.map((r) => [r.orgId, r.outcome])).toEqual([
      [ORG_A, 'denied'],
      [ORG_A, 'denied'],
    ]);
    // The trail names the hub user where there is one, and never the token's claims.
    expect(gate.trail.map((r) => r.actor.name)).toEqual(['usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9', 'Ada Lovelace']);
  });
});

describe('the gate: org settings bind user sessions', () => {
  it('refuses a user token without a second factor when the org requires MFA, and says why', async () => {
    const gate = new FakeGate();
    gate.orgs.set(ORG_A, anOrg(ORG_A, { mfaRequired: true }));
    const refused = await getOrg(gate, adaToken({ mfa: false }));
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.type).toBe('urn:integration-hub:problem:mfa-required');
    expect(refused.json.detail).toMatch(/requires multi-factor authentication.*no second factor/);
    expect((await getOrg(gate, adaToken({ mfa: true }))).status).toBe(200);
    // API keys are not user sessions.
    expect((await getOrg(gate, orgKey())).status).toBe(200);
  });

  it("refuses a user token older than the org's session lifetime with 401", async () => {
    const gate = new FakeGate();
    gate.orgs.set(ORG_A, anOrg(ORG_A, { sessionLifetimeMinutes: 30 }));
    const stale = await getOrg(gate, adaToken({ authTime: nowSeconds() - 31 * 60 }));
    expect(stale.status).toBe(401);
    expect(stale.json.type).toBe('urn:integration-hub:problem:session-expired');
    expect(stale.json.detail).toMatch(/session expired.*30 minutes/);
    expect((await getOrg(gate, adaToken({ authTime: nowSeconds() - 29 * 60 }))).status).toBe(200);
    // A token that does not carry when its session began has no session the org can bound.
    expect((await getOrg(gate, adaToken({ authTime: undefined }))).status).toBe(401);
    expect((await getOrg(gate, orgKey())).status).toBe(200);
  });
});

describe('the gate: user sessions', () => {
  it('records a user session with how it signed in, from where and with what, and no API key request', async () => {
    const gate = new FakeGate();
    const signedIn = nowSeconds() - 60;
    expect((await getOrg(gate, adaToken({ authTime: signedIn, signInMethod: 'saml:AcmeIdP' }))).status).toBe(
      200,
    );
    expect((await getOrg(gate, orgKey())).status).toBe(200);
    expect(gate.sessionUses).toEqual([
      expect.objectContaining({
        orgId: ORG_A,
        userId: ADA,
        sessionId: sessionIdOf(ORG_A, ADA, signedIn),
        signInMethod: 'saml:AcmeIdP',
        ip: '203.0.113.9',
        userAgent: 'jest',
      }),
    ]);
  });

  it('refuses a revoked session 401 problem+json (session-revoked), and records nothing of it', async () => {
    const gate = new FakeGate();
    gate.sessionState = { session: null, revokedBefore: new Date().toISOString() };
    const refused = await getOrg(gate, adaToken());
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.type).toBe('urn:integration-hub:problem:session-revoked');
    expect(refused.json.detail).toMatch(/sign in again/);
    expect(gate.sessionUses).toEqual([]);
    // API keys are not sessions: the marker does not touch them.
    expect((await getOrg(gate, orgKey())).status).toBe(200);
  });
});

describe('the gate: idle sessions', () => {
  it("refuses a session idle longer than the org's sessionIdleMinutes with 401, and not API keys", async () => {
    const gate = new FakeGate();
    gate.orgs.set(ORG_A, anOrg(ORG_A, { sessionIdleMinutes: 30 }));
    const signedIn = nowSeconds() - 3 * 3600;
    const seen = (minutesAgo: number): SessionState => ({
      session: {
        id: sessionIdOf(ORG_A, ADA, signedIn),
        orgId: ORG_A,
        userId: ADA,
        signInMethod: 'password',
        userAgent: 'jest',
        ip: '203.0.113.9',
        startedAt: new Date(signedIn * 1000).toISOString(),
        lastSeenAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
      },
      revokedBefore: null,
    });
    gate.sessionState = seen(31);
    const idle = await getOrg(gate, adaToken({ authTime: signedIn }));
    expect(idle.status).toBe(401);
    expect(idle.json.type).toBe('urn:integration-hub:problem:session-expired');
    expect(idle.json.detail).toMatch(/idle longer than the organisation's 30 minutes/);
    expect((await getOrg(gate, orgKey())).status).toBe(200);
    const active = new FakeGate();
    active.orgs.set(ORG_A, anOrg(ORG_A, { sessionIdleMinutes: 30 }));
    active.sessionState = seen(29);
    expect((await getOrg(active, adaToken({ authTime: signedIn }))).status).toBe(200);
  });
});

describe("the gate: refusals go to the caller's own trail, after the caller's rate", () => {
  it("audits a member of A addressing B in A's trail, reading and writing nothing of B", async () => {
    const gate = new FakeGate();
    const res = await getOrg(gate, orgKey(ORG_A), ORG_B);
    expect(res.status).toBe(403);
    expect(gate.trail).toHaveLength(1);
    expect(gate.trail[0]).toMatchObject({ orgId: ORG_A, outcome: 'denied', action: 'api.getOrg' });
    expect(gate.trail.filter((r) => r.orgId === ORG_B)).toEqual([]);
    expect(gate.orgReads).not.toContain(ORG_B);
    expect(gate.counted).toEqual([ORG_A]);
  });

  it('answers 429 and writes nothing once refused requests have spent the allowance', async () => {
    const gate = new FakeGate();
    gate.rateLeft = 2;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await getOrg(gate, orgKey(ORG_A), ORG_B)).status);
    expect(answers).toEqual([403, 403, 429, 429, 429]);
    expect(gate.trail).toHaveLength(2);
  });
});

describe('the gate: path parameters', () => {
  it('has a pattern for every path parameter of every route', () => {
    for (const route of routes) {
      for (const name of parameterNames(route.path)) {
        expect({ route: route.operationId, name, known: name in PATH_PARAMETERS }).toEqual({
          route: route.operationId,
          name,
          known: true,
        });
      }
    }
  });

  const withParameters = routes.filter((r) => parameterNames(r.path).length > 0);
  it.each(withParameters.map((r) => [r.operationId, r]))(
    'answers a 2,000-character id in %s with 400/404 problem+json before any read',
    async (_operation, route) => {
      const names = parameterNames(route.path);
      // A member's own org in the path, so only the long id can be the reason; and a platform admin.
      for (const principal of [orgKey(ORG_A), platformAdmin]) {
        for (const long of names.filter((n) => principal.kind === 'platform_admin' || n !== 'orgId')) {
          const gate = new FakeGate();
          let ran = false;
          const handler = apiHandler({
            operation: route.operationId,
            gate,
            handle: async () => {
              ran = true;
              return json(200, {});
            },
          });
          const pathParameters = Object.fromEntries(
            names.map((n) => [n, n === long ? 'x'.repeat(2000) : n === 'orgId' ? ORG_A : 'ok']),
          );
          const res = parse(
            await handler(
              apiEvent({
                method: route.method,
                path: route.path,
                routePath: route.path,
                principal,
                pathParameters,
                body: {},
              }),
              lambdaContext(),
            ),
          );
          const seen = { long, kind: principal.kind, status: res.status, type: res.headers['content-type'] };
          expect(seen).toEqual({ ...seen, type: 'application/problem+json' });
          // A member on a platform route is out of scope, refused as such before any read.
          const outOfScope = principal.kind === 'org_member' && route.permission?.startsWith('platform:');
          expect(outOfScope ? [403] : [400, 404]).toContain(res.status);
          expect(res.json.detail).not.toContain('x'.repeat(100));
          expect(ran).toBe(false);
          // A refusal reads only the caller's own org, to count it against the caller's rate.
          expect(gate.orgReads).toEqual(outOfScope ? [ORG_A] : []);
          expect(gate.userReads).toBe(0);
        }
      }
    },
  );

  it("refuses a member's long id for another org as out of scope, reading nothing of it", async () => {
    const gate = new FakeGate();
    const res = await getOrg(gate, orgKey(ORG_A), `org_${'x'.repeat(2000)}`);
    expect(res.status).toBe(403);
    expect(gate.orgReads).toEqual([ORG_A]);
    expect(gate.trail.map((r) => r.orgId)).toEqual([ORG_A]);
  });
});
