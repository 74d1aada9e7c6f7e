import { randomUUID } from 'node:crypto';
import { DynamoDbRealtimeConnections } from '../../shared/adapters/dynamodb/dynamodb-realtime-connections';
import type { AuditRecord } from '../../shared/audit/audit-record';
import type { OrgAccess } from '../../shared/authz/org-access';
import { UnauthenticatedError } from '../../shared/errors';
import type { GateDeps } from '../../shared/http/api-handler';
import type { Principal } from '../../shared/identity/principal';
import type { SessionState } from '../../shared/identity/session';
import { SessionGate } from '../../shared/identity/session-gate';
import { newId } from '../../shared/ids';
import type { ConnectionPoster } from '../../shared/realtime/connections';
import { makePushEvent } from '../../shared/realtime/push-events';
import { makeConnectionCheck } from '../../shared/realtime/revalidate';
import type { WebSocketEvent } from '../../shared/realtime/session';
import { makeRealtimeSession } from '../../shared/realtime/session';
import type { Org } from '../../shared/tenancy/org';
import { OrgSchema } from '../../shared/tenancy/org';
import { PLANS } from '../../shared/tenancy/plans';
import type { User } from '../../shared/tenancy/user';
import { aCanonicalEvent } from '../support/builders';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

/**
 * The real-time routes against DynamoDB Local: who may open a connection (the gate of the event
 * feed, with its org, user, role, policy and network checks), what a connection keeps, and the
 * fan-out to the connections that subscribed.
 */

let db: LocalDynamoDb;
beforeAll(async () => {
  db = await startLocalDynamoDb();
});
afterAll(async () => db?.stop());

const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';

class FakeGate implements GateDeps {
  orgs = new Map<string, Org>();
  people = new Map<string, User>();
  custom: OrgAccess = { roles: [], policies: [] };
  trail: AuditRecord[] = [];
  tenants = { get: async (orgId: string) => this.orgs.get(orgId) ?? null };
  audit = {
    append: async (record: AuditRecord) => {
      this.trail.push(record);
    },
  };
  usage = { consumeRate: async () => ({ allowed: true, retryAfterSeconds: 0 }) };
  users = { get: async (_orgId: string, userId: string) => this.people.get(userId) ?? null };
  access = { get: async () => this.custom };
  facts = {
    load: async () => {
      throw new Error('no policies here');
    },
  };
}

function setup() {
  const orgId = newId('org');
  const gate = new FakeGate();
  gate.orgs.set(
    orgId,
    OrgSchema.parse({
      id: orgId,
      name: 'Acme',
      slug: `acme-${orgId.slice(-6).toLowerCase()}`,
      status: 'active',
      createdAt: '2026-11-01T00:00:00.000Z',
      settings: {},
    }),
  );
  gate.people.set(USER, {
    id: USER,
    orgId,
    email: 'ada@acme.test',
    name: 'Ada',
    role: 'viewer',
    status: 'active',
    createdAt: '2026-11-01T00:00:00.000Z',
    createdBy: 'key_1',
  });
  const principals = new Map<string, Principal>();
  /** Credentials' stored expiries (a JWT's exp), by Authorization header. */
  const expiries = new Map<string, Date>();
  const store = new DynamoDbRealtimeConnections(db.docs, db.tables.domainTable);
  let now = new Date();
  const clock = { now: () => now };
  const session = makeRealtimeSession({
    authenticate: async (authorization) => {
      const principal = principals.get(authorization ?? '');
      if (!principal) throw new UnauthenticatedError('The API key is not valid');
      return principal;
    },
    connections: store,
    gate,
    clock,
    credentialExpiry: async (authorization) => expiries.get(authorization ?? '') ?? null,
  });
  const key = (role: string, token = `Bearer ${role}`): string => {
    principals.set(token, { kind: 'org_member', type: 'api_key', id: newId('key'), name: role, orgId, role });
    return token;
  };
  const userToken = (): string => {
    principals.set('Bearer user', {
      kind: 'org_member',
      type: 'user',
      id: USER,
      name: USER,
      orgId,
      role: 'viewer',
      mfa: false,
      authTime: Math.floor(Date.now() / 1000) - 60,
    });
    return 'Bearer user';
  };
  const context = (
    connectionId: string,
    eventType: WebSocketEvent['requestContext']['eventType'],
    ip = '203.0.113.7',
  ) => ({
    routeKey: eventType === 'CONNECT' ? '$connect' : eventType === 'DISCONNECT' ? '$disconnect' : '$default',
    eventType,
    connectionId,
    requestId: randomUUID(),
    connectedAt: now.getTime(),
    identity: { sourceIp: ip, userAgent: 'test' },
  });
  const connect = (
    authorization: string | undefined,
    options: { ip?: string; headers?: Record<string, string>; orgId?: string } = {},
  ) => {
    const connectionId = `c${newId('wsc').slice(-12)}=`;
    return session({
      requestContext: context(connectionId, 'CONNECT', options.ip),
      headers: { ...(authorization ? { Authorization: authorization } : {}), ...options.headers },
      ...(options.orgId ? { queryStringParameters: { orgId: options.orgId } } : {}),
    }).then((result) => ({ connectionId, result }));
  };
  const send = (connectionId: string, body: string) =>
    session({ requestContext: context(connectionId, 'MESSAGE'), body }).then((r) =>
      JSON.parse(String(r.body)),
    );
  const disconnect = (connectionId: string) =>
    session({ requestContext: context(connectionId, 'DISCONNECT') });
  return {
    orgId,
    gate,
    store,
    connect,
    send,
    disconnect,
    key,
    userToken,
    principals,
    expiries,
    setNow: (d: Date) => {
      now = d;
    },
    clock,
  };
}

describe('opening a real-time connection', () => {
  it('admits a viewer, keeps the connection in its org with a TTL, and accepts hub.v1', async () => {
    const s = setup();
    const { connectionId, result } = await s.connect(s.key('viewer'), {
      headers: { 'Sec-WebSocket-Protocol': 'hub.v1' },
    });
    expect(result).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'hub.v1' } });
    expect(await s.store.orgOf(connectionId)).toBe(s.orgId);
    const kept = await s.store.get(s.orgId, connectionId);
    expect(kept).toMatchObject({ orgId: s.orgId, types: [], principal: { role: 'viewer', orgId: s.orgId } });
    expect(new Date(String(kept?.expiresAt)).getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses a missing or bad credential with 401', async () => {
    const s = setup();
    const { connectionId, result } = await s.connect('Bearer nope');
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(String(result.body))).toMatchObject({ title: 'Authentication is required' });
    expect((await s.connect(undefined)).result.statusCode).toBe(401);
    expect(await s.store.orgOf(connectionId)).toBeNull();
  });

  it('refuses a role without events:read (custom roles too), audited in the org as the gate does', async () => {
    const s = setup();
    expect((await s.connect(s.key('auditor'))).result.statusCode).toBe(403);
    const roleId = `role_${newId('key').slice(4)}`;
    s.gate.custom = {
      roles: [{ id: roleId, name: 'readers', permissions: ['org:read'] }],
      policies: [],
    } as unknown as OrgAccess;
    const refused = await s.connect(s.key(roleId, 'Bearer custom'));
    expect(refused.result.statusCode).toBe(403);
    expect(JSON.parse(String(refused.result.body)).detail).toMatch(/events:read/);
    s.gate.custom = {
      roles: [{ id: roleId, name: 'readers', permissions: ['org:read', 'events:read'] }],
      policies: [],
    } as unknown as OrgAccess;
    expect((await s.connect('Bearer custom')).result.statusCode).toBe(200);
    expect(s.gate.trail.map((r) => [r.action, r.outcome])).toEqual([
      ['api.listEvents', 'denied'],
      ['api.listEvents', 'denied'],
    ]);
  });

  it('refuses a suspended org, an address outside its allow-list, a deactivated user, and another org', async () => {
    const s = setup();
    const org = s.gate.orgs.get(s.orgId) as Org;
    s.gate.orgs.set(s.orgId, { ...org, status: 'suspended' });
    expect((await s.connect(s.key('viewer'))).result.statusCode).toBe(403);
    s.gate.orgs.set(s.orgId, { ...org, settings: { ...org.settings, ipAllowList: ['198.51.100.0/24'] } });
    expect((await s.connect(s.key('viewer'), { ip: '203.0.113.7' })).result.statusCode).toBe(403);
    expect((await s.connect('Bearer viewer', { ip: '198.51.100.9' })).result.statusCode).toBe(200);
    s.gate.orgs.set(s.orgId, org);
    expect((await s.connect(s.userToken())).result.statusCode).toBe(200);
    s.gate.people.set(USER, { ...(s.gate.people.get(USER) as User), status: 'deactivated' });
    expect((await s.connect('Bearer user')).result.statusCode).toBe(403);
    // A key of this org naming another: refused by the gate before anything is read.
    const other = setup();
    const cross = await s.connect(s.key('viewer'), { orgId: other.orgId });
    expect(cross.result.statusCode).toBe(403);
  });

  it('refuses subprotocols without hub.v1, so a browser never gets a connection it did not ask for', async () => {
    const s = setup();
    const { result } = await s.connect(s.key('viewer'), { headers: { 'Sec-WebSocket-Protocol': 'chat' } });
    expect(result.statusCode).toBe(400);
  });
});

describe('messages on a connection', () => {
  it('subscribes, pings, and answers bad input with an error message', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.key('viewer'));
    expect(
      await s.send(connectionId, '{"action":"subscribe","types":["pull_request.*","pull_request.*"]}'),
    ).toEqual({
      type: 'subscribed',
      orgId: s.orgId,
      types: ['pull_request.*'],
    });
    expect((await s.store.get(s.orgId, connectionId))?.types).toEqual(['pull_request.*']);
    s.setNow(new Date(Date.now() + 5 * 60_000));
    expect(await s.send(connectionId, '{"action":"ping"}')).toEqual({ type: 'pong' });
    expect(new Date(String((await s.store.get(s.orgId, connectionId))?.expiresAt)).getTime()).toBeGreaterThan(
      Date.now() + 14 * 60_000,
    );
    expect(await s.send(connectionId, 'hello')).toMatchObject({
      type: 'error',
      title: 'The message is not valid JSON',
    });
    expect(await s.send('unknown=', '{"action":"ping"}')).toMatchObject({ type: 'error' });
  });

  it('checks the caller again on subscribe: a suspended org gets an error and no more events', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.key('viewer'));
    await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
    const org = s.gate.orgs.get(s.orgId) as Org;
    s.gate.orgs.set(s.orgId, { ...org, status: 'suspended' });
    expect(await s.send(connectionId, '{"action":"subscribe","types":["*"]}')).toMatchObject({
      type: 'error',
      title: 'The caller may not do this',
    });
    expect((await s.store.get(s.orgId, connectionId))?.types).toEqual([]);
  });

  it('checks the caller again on ping: a deactivated user is answered with an error and gets no more events', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.userToken());
    await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
    s.gate.people.set(USER, { ...(s.gate.people.get(USER) as User), status: 'deactivated' });
    expect(await s.send(connectionId, '{"action":"ping"}')).toMatchObject({
      type: 'error',
      detail: 'The user is deactivated',
    });
    expect((await s.store.get(s.orgId, connectionId))?.types).toEqual([]);
  });

  it('answers a message on an expired connection with an error, not a pong', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.key('viewer'));
    s.setNow(new Date(Date.now() + 11 * 60_000));
    expect(await s.send(connectionId, '{"action":"ping"}')).toMatchObject({
      type: 'error',
      detail: 'The connection has expired: connect again',
    });
  });

  it('forgets a connection on $disconnect: its item and its lookup', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.key('viewer'));
    expect((await s.disconnect(connectionId)).statusCode).toBe(200);
    expect(await s.store.orgOf(connectionId)).toBeNull();
    expect(await s.store.get(s.orgId, connectionId)).toBeNull();
    // A second $disconnect (a retry) finds nothing to do.
    expect((await s.disconnect(connectionId)).statusCode).toBe(200);
  });
});

describe('the fan-out', () => {
  it("posts an event to the org's subscribed open connections only, and forgets the gone ones", async () => {
    const s = setup();
    const open = async (types: string[]) => {
      const { connectionId } = await s.connect(s.key('viewer'));
      await s.send(connectionId, JSON.stringify({ action: 'subscribe', types }));
      return connectionId;
    };
    const [all, prs, works, gone] = [
      await open(['*']),
      await open(['pull_request.*']),
      await open(['work_item.*']),
      await open(['*']),
    ];
    const elsewhere = setup();
    const { connectionId: otherOrg } = await elsewhere.connect(elsewhere.key('viewer'));
    await elsewhere.send(otherOrg, '{"action":"subscribe","types":["*"]}');
    const posted: string[] = [];
    const poster: ConnectionPoster = {
      post: async (id, data) => {
        expect(JSON.parse(data)).toMatchObject({ type: 'event', event: { type: 'pull_request.merged' } });
        if (id === gone) return 'gone';
        posted.push(id);
        return 'sent';
      },
      close: async () => undefined,
    };
    const push = makePushEvent({ connections: s.store, poster, clock: s.clock });
    const outcome = await push(aCanonicalEvent({ tenantId: s.orgId, type: 'pull_request.merged' }));
    expect(outcome).toEqual({ sent: 2, gone: 1, failed: 0 });
    expect(posted.sort()).toEqual([all, prs].sort());
    expect(posted).not.toContain(works);
    expect(await s.store.orgOf(gone)).toBeNull();
    // An expired connection (its $disconnect never came; DynamoDB's TTL has not swept it yet) gets nothing.
    s.setNow(new Date(Date.now() + 3 * 3_600_000));
    expect(await push(aCanonicalEvent({ tenantId: s.orgId, type: 'pull_request.merged' }))).toEqual({
      sent: 0,
      gone: 0,
      failed: 0,
    });
  });

  it('counts a failed post without failing the event for the other clients', async () => {
    const s = setup();
    const ids: string[] = [];
    for (const _ of [1, 2]) {
      const { connectionId } = await s.connect(s.key('viewer'));
      await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
      ids.push(connectionId);
    }
    const push = makePushEvent({
      connections: s.store,
      poster: {
        post: async (id) => {
          if (id === ids[0]) throw new Error('throttled');
          return 'sent';
        },
        close: async () => undefined,
      },
      clock: s.clock,
    });
    expect(await push(aCanonicalEvent({ tenantId: s.orgId }))).toEqual({ sent: 1, gone: 0, failed: 1 });
  });

  it('closes and forgets, at the next event, a connection whose key was revoked, user deactivated or org suspended', async () => {
    const s = setup();
    const revoked = new Set<string>();
    let keyReads = 0;
    const check = makeConnectionCheck({
      gate: s.gate,
      keys: {
        get: async (_o, keyId) => {
          keyReads++;
          return { id: keyId, status: revoked.has(keyId) ? 'revoked' : 'active', expiresAt: null } as never;
        },
        listPlatformKeys: async () => ({ items: [], nextCursor: null }),
      },
      clock: s.clock,
    });
    const posted: string[] = [];
    const closed: string[] = [];
    const push = makePushEvent({
      connections: s.store,
      poster: {
        post: async (id, data) => {
          posted.push(`${id} ${JSON.parse(data).type}`);
          return 'sent';
        },
        close: async (id) => void closed.push(id),
      },
      clock: s.clock,
      check,
    });
    const open = async (token: string) => {
      const { connectionId } = await s.connect(token);
      await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
      return connectionId;
    };
    const keep = await open(s.key('viewer', 'Bearer keep'));
    const revokedConnection = await open(s.key('viewer', 'Bearer revoked'));
    const user = await open(s.userToken());
    const event = () => aCanonicalEvent({ tenantId: s.orgId, type: 'pull_request.merged' });
    expect(await push(event())).toEqual({ sent: 3, gone: 0, failed: 0 });
    // Answers are kept for a minute: a second event reads no key again.
    const reads = keyReads;
    await push(event());
    expect(keyReads).toBe(reads);

    const revokedKey = s.principals.get('Bearer revoked') as Extract<Principal, { kind: 'org_member' }>;
    revoked.add(revokedKey.id);
    const people = s.gate.people.get(USER) as User;
    s.gate.people.set(USER, { ...people, status: 'deactivated' });
    const fresh = makePushEvent({
      connections: s.store,
      poster: {
        post: async (id, data) => {
          posted.push(`${id} ${JSON.parse(data).type}`);
          return 'sent';
        },
        close: async (id) => void closed.push(id),
      },
      clock: s.clock,
      // A minute on: a new check (a fresh cache stands for its expiry).
      check: makeConnectionCheck({
        gate: s.gate,
        keys: {
          get: async (_o, keyId) =>
            ({ id: keyId, status: revoked.has(keyId) ? 'revoked' : 'active', expiresAt: null }) as never,
          listPlatformKeys: async () => ({ items: [], nextCursor: null }),
        },
        clock: s.clock,
      }),
    });
    posted.length = 0;
    expect(await fresh(event())).toEqual({ sent: 1, gone: 0, failed: 0, closed: 2 });
    expect(closed.sort()).toEqual([revokedConnection, user].sort());
    // Told why before the close; forgotten after it.
    expect(posted).toContain(`${revokedConnection} error`);
    expect(posted).toContain(`${keep} event`);
    expect(await s.store.orgOf(revokedConnection)).toBeNull();
    expect(await s.store.orgOf(user)).toBeNull();

    const org = s.gate.orgs.get(s.orgId) as Org;
    s.gate.orgs.set(s.orgId, { ...org, status: 'suspended' });
    const afterSuspension = makePushEvent({
      connections: s.store,
      poster: { post: async () => 'sent', close: async (id) => void closed.push(id) },
      clock: s.clock,
      check: makeConnectionCheck({
        gate: s.gate,
        keys: {
          get: async () => ({ status: 'active' }) as never,
          listPlatformKeys: async () => ({ items: [], nextCursor: null }),
        },
        clock: s.clock,
      }),
    });
    expect(await afterSuspension(event())).toMatchObject({ sent: 0, closed: 1 });
    expect(closed).toContain(keep);
  });

  it("closes, at its next check, a user's connection whose session was revoked, recording no use by the check", async () => {
    const s = setup();
    let state: SessionState = { session: null, revokedBefore: null };
    const uses: string[] = [];
    const sessions = new SessionGate(
      { state: async () => state, recordUse: async (use) => void uses.push(use.sessionId) },
      { stateTtlMs: 0 },
    );
    const gate = Object.assign(s.gate, { sessions });
    const { connectionId } = await s.connect(s.userToken());
    await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
    // Opening the connection is a use of the session, recorded once.
    expect(uses).toHaveLength(1);
    const closed: string[] = [];
    const pushWith = () =>
      makePushEvent({
        connections: s.store,
        poster: { post: async () => 'sent', close: async (id) => void closed.push(id) },
        clock: s.clock,
        check: makeConnectionCheck({
          gate,
          keys: {
            get: async () => ({ status: 'active' }) as never,
            listPlatformKeys: async () => ({ items: [], nextCursor: null }),
          },
          clock: s.clock,
        }),
      });
    const event = () => aCanonicalEvent({ tenantId: s.orgId, type: 'pull_request.merged' });
    expect(await pushWith()(event())).toMatchObject({ sent: 1 });
    state = { session: null, revokedBefore: new Date().toISOString() };
    expect(await pushWith()(event())).toMatchObject({ sent: 0, closed: 1 });
    expect(closed).toEqual([connectionId]);
    expect(uses).toHaveLength(1);
  });

  it("closes a connection at once when its credential's stored expiry (a JWT's exp) has passed", async () => {
    const s = setup();
    const token = s.key('viewer', 'Bearer jwt-ish');
    s.expiries.set(token, new Date(s.clock.now().getTime() + 5 * 60_000));
    const { connectionId } = await s.connect(token);
    await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
    expect((await s.store.get(s.orgId, connectionId))?.credentialExpiresAt).toBeDefined();
    const closed: string[] = [];
    const push = makePushEvent({
      connections: s.store,
      poster: { post: async () => 'sent', close: async (id) => void closed.push(id) },
      clock: s.clock,
      check: makeConnectionCheck({
        gate: s.gate,
        keys: {
          get: async () => ({ status: 'active', expiresAt: null }) as never,
          listPlatformKeys: async () => ({ items: [], nextCursor: null }),
        },
        clock: s.clock,
      }),
    });
    expect(await push(aCanonicalEvent({ tenantId: s.orgId }))).toMatchObject({ sent: 1 });
    // Within the minute the answer is kept, yet the expiry is enforced at once.
    s.setNow(new Date(s.clock.now().getTime() + 6 * 60_000));
    expect(await push(aCanonicalEvent({ tenantId: s.orgId }))).toMatchObject({ sent: 0, closed: 1 });
    expect(closed).toEqual([connectionId]);
    // And a message on it is refused, not answered.
    expect(await s.send(connectionId, '{"action":"ping"}')).toMatchObject({ type: 'error' });
    // Connecting with an expired credential is refused outright.
    const { result } = await s.connect(token);
    expect(result.statusCode).toBe(401);
  });

  it("refuses a connection past the plan's per-org connection quota, cleanly (429 problem+json)", async () => {
    const s = setup();
    s.gate.orgs.set(s.orgId, { ...(s.gate.orgs.get(s.orgId) as Org), plan: 'free' });
    const token = s.key('viewer');
    for (let i = 0; i < PLANS.free.realtimeConnections; i++)
      expect((await s.connect(token)).result.statusCode).toBe(200);
    const { connectionId, result } = await s.connect(token);
    expect(result.statusCode).toBe(429);
    expect(result.headers?.['Content-Type'] ?? result.headers?.['content-type']).toMatch(/problem\+json/);
    expect(JSON.parse(String(result.body)).detail).toMatch(/20 open real-time connections/);
    expect(await s.store.orgOf(connectionId)).toBeNull();
    // Another org is not held to this org's count.
    const other = setup();
    expect((await other.connect(other.key('viewer'))).result.statusCode).toBe(200);
  });
});

describe('when the gate cannot reach its stores, the real-time API fails closed', () => {
  const unreachable = async (): Promise<never> => {
    throw new Error('connect ECONNREFUSED dynamodb');
  };

  it('answers the upgrade 503 problem+json (not an admission, not a 403), and keeps nothing', async () => {
    const s = setup();
    const token = s.userToken();
    const users = s.gate.users;
    s.gate.users = { get: unreachable };
    const { connectionId, result } = await s.connect(token);
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Content-Type'] ?? result.headers?.['content-type']).toMatch(/problem\+json/);
    expect(await s.store.orgOf(connectionId)).toBeNull();
    s.gate.users = users;
    expect((await s.connect(token)).result.statusCode).toBe(200);
  });

  it('answers a message with a 503 error and keeps the subscription for when the store is back', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.userToken());
    await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
    const users = s.gate.users;
    s.gate.users = { get: unreachable };
    expect(await s.send(connectionId, '{"action":"ping"}')).toMatchObject({
      type: 'error',
      title: 'A dependency is unavailable; retry later',
    });
    expect((await s.store.get(s.orgId, connectionId))?.types).toEqual(['*']);
    s.gate.users = users;
    expect(await s.send(connectionId, '{"action":"ping"}')).toEqual({ type: 'pong' });
  });

  it('withholds events from a connection it cannot check again, and delivers once it can', async () => {
    const s = setup();
    const { connectionId } = await s.connect(s.userToken());
    await s.send(connectionId, '{"action":"subscribe","types":["*"]}');
    const posted: string[] = [];
    const poster: ConnectionPoster = {
      post: async (id) => {
        posted.push(id);
        return 'sent';
      },
      close: async () => undefined,
    };
    const keys = { get: async () => null, listPlatformKeys: async () => ({ items: [], nextCursor: null }) };
    const users = s.gate.users;
    s.gate.users = { get: unreachable };
    const push = makePushEvent({
      connections: s.store,
      poster,
      clock: s.clock,
      check: makeConnectionCheck({ gate: s.gate, keys, clock: s.clock }),
    });
    expect(await push(aCanonicalEvent({ tenantId: s.orgId }))).toEqual({ sent: 0, gone: 0, failed: 1 });
    expect(posted).toEqual([]);
    expect(await s.store.orgOf(connectionId)).toBe(s.orgId);
    s.gate.users = users;
    expect(await push(aCanonicalEvent({ tenantId: s.orgId }))).toEqual({ sent: 1, gone: 0, failed: 0 });
  });
});
