import { openApiDocument } from '../../../../shared/api/openapi';
import type { AuditRecord } from '../../../../shared/audit/audit-record';
import type { StoredBindCode } from '../../../../shared/chat/bind-codes';
import {
  BIND_CODE,
  bindCodeHash,
  CreateBindCodeRequest,
  makeCreateBindCode,
} from '../../../../shared/chat/bind-codes';
import type { Connection } from '../../../../shared/connectors/connection';
import { teamsProvider } from '../../../../shared/connectors/msteams/module';
import { ConflictError, NotFoundError } from '../../../../shared/errors';
import type { Principal } from '../../../../shared/identity/principal';
import { PROVIDERS } from '../../../../shared/providers';

const orgId = 'org_01JBINDCODES';
const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const admin: Principal = {
  kind: 'org_member',
  orgId,
  type: 'user',
  id: 'usr_01JADMIN',
  name: 'Ada',
  role: 'admin',
} as Principal;
const request = { requestId: 'r1', ip: '203.0.113.9', userAgent: 'jest' };
const now = new Date('2026-12-03T12:00:00Z');

const connection = (id: string, over: Partial<Connection> = {}): Connection =>
  ({
    id,
    orgId,
    provider: 'msteams',
    name: 'Teams',
    status: 'active',
    credentials: { kind: 'teams_bot', tenantId, setAt: now.toISOString() },
    ...over,
  }) as Connection;

function setup(connections: Connection[]) {
  const stored = new Map<string, StoredBindCode>();
  const audit: AuditRecord[] = [];
  const create = makeCreateBindCode({
    parts: { msteams: teamsProvider.chat as NonNullable<typeof teamsProvider.chat> },
    connections: {
      get: async (org, id) => connections.find((c) => c.orgId === org && c.id === id) ?? null,
    },
    codes: {
      put: async (hash, code, record) => {
        stored.set(hash, code);
        audit.push(record);
      },
      claim: async () => null,
    },
    clock: { now: () => now },
  });
  return { create, stored, audit };
}

describe('one-time bind codes', () => {
  it('are random, shown once, stored only by hash, expiring, and audited without the code', async () => {
    const { create, stored, audit } = setup([connection('con_01JTEAMS')]);
    const made = await create(orgId, 'con_01JTEAMS', CreateBindCodeRequest.parse({}), admin, request);
    expect(made.code).toMatch(BIND_CODE);
    expect(made).toMatchObject({
      provider: 'msteams',
      connectionId: 'con_01JTEAMS',
      installationId: tenantId,
      expiresAt: '2026-12-03T12:15:00.000Z',
    });
    expect(made.instructions).toContain(`connect ${made.code}`);
    expect([...stored.keys()]).toEqual([bindCodeHash(made.code)]);
    expect(JSON.stringify([...stored.entries()])).not.toContain(made.code);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'chat.bind_code_created',
        orgId,
        targets: [{ type: 'connection', id: 'con_01JTEAMS' }],
        after: { provider: 'msteams', installationId: tenantId, expiresAt: made.expiresAt },
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(made.code);
    const again = await create(orgId, 'con_01JTEAMS', { expiresInMinutes: 5 }, admin, request);
    expect(again.code).not.toBe(made.code);
    expect(again.expiresAt).toBe('2026-12-03T12:05:00.000Z');
  });

  it('refuses a connection of another org, one a code cannot bind, or one not active', async () => {
    const { create, stored } = setup([
      connection('con_01JTEAMS'),
      { ...connection('con_01JOTHERORG'), orgId: 'org_01JOTHER' },
      connection('con_01JWORKFLOW', {
        credentials: { kind: 'teams_workflow_webhook', setAt: now.toISOString() },
      } as Partial<Connection>),
      connection('con_01JJIRA', { provider: 'jira' }),
      connection('con_01JPAUSED', { status: 'disabled' }),
    ]);
    const body = { expiresInMinutes: 15 };
    await expect(create(orgId, 'con_01JOTHERORG', body, admin, request)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    for (const id of ['con_01JWORKFLOW', 'con_01JJIRA', 'con_01JPAUSED'])
      await expect(create(orgId, id, body, admin, request)).rejects.toBeInstanceOf(ConflictError);
    expect(stored.size).toBe(0);
  });

  it('take a bounded lifetime only', () => {
    expect(CreateBindCodeRequest.safeParse({ expiresInMinutes: 0 }).success).toBe(false);
    expect(CreateBindCodeRequest.safeParse({ expiresInMinutes: 61 }).success).toBe(false);
    expect(CreateBindCodeRequest.safeParse({ code: 'mine' }).success).toBe(false);
  });
});

describe('the OpenAPI document of bind codes', () => {
  it('documents the route with its body, the code it answers once, and its problems', () => {
    const doc = openApiDocument(PROVIDERS) as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    };
    const create = doc.paths['/v1/orgs/{orgId}/connections/{connectionId}/bind-codes']?.post;
    expect(JSON.stringify(create?.requestBody)).toContain('CreateChatBindCodeRequest');
    expect(JSON.stringify(create?.responses['201'])).toContain('ChatBindCode');
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '404', '409']),
    );
  });
});
