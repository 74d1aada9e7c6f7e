import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import { ForbiddenError, NotFoundError } from '../../../../../shared/errors';
import type { Principal } from '../../../../../shared/identity/principal';
import {
  makeGetPreferences,
  makePutPreferences,
} from '../../../../../shared/notify/email/manage-preferences';
import type { StoredPreferences } from '../../../../../shared/notify/email/ports';
import { NotificationPreferencesInput } from '../../../../../shared/notify/email/preferences';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const BO = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const request = { requestId: 'r', ip: '127.0.0.1', userAgent: 'test' };
const member = (id: string, role: 'member' | 'admin' = 'member'): Principal => ({
  kind: 'org_member',
  type: 'user',
  id,
  name: id,
  orgId: ORG,
  role,
});

function setup() {
  const saved = new Map<string, { value: StoredPreferences & { updatedAt: string }; version: number }>();
  const audits: AuditRecord[] = [];
  const deps = {
    preferences: {
      get: async (_o: string, u: string) => saved.get(u) ?? null,
      getMany: async () => new Map(),
      save: async (
        _o: string,
        u: string,
        p: StoredPreferences,
        at: string,
        v: number,
        audit: AuditRecord,
      ) => {
        saved.set(u, { value: { ...p, updatedAt: at }, version: v + 1 });
        audits.push(audit);
      },
    },
    users: { get: async (_o: string, u: string) => ([ADA, BO].includes(u) ? ({ id: u } as never) : null) },
    access: { get: async () => ({ roles: [], policies: [] }) as never },
    clock: { now: () => new Date('2026-12-01T10:00:00Z') },
  };
  return { get: makeGetPreferences(deps), put: makePutPreferences(deps), audits, saved };
}

describe("a user's notification preferences", () => {
  it('are the defaults until set, then what was set, audited with before and after', async () => {
    const { get, put, audits } = setup();
    expect(await get(ORG, ADA, member(ADA))).toMatchObject({ userId: ADA, digest: 'off', updatedAt: null });
    const input = NotificationPreferencesInput.parse({ digest: 'daily', dailyHourUtc: 7 });
    await put(ORG, ADA, input, member(ADA), request);
    expect(await get(ORG, ADA, member(ADA))).toMatchObject({
      digest: 'daily',
      dailyHourUtc: 7,
      updatedAt: '2026-12-01T10:00:00.000Z',
    });
    expect(audits[0]).toMatchObject({
      action: 'notification_preferences.updated',
      targets: [{ type: 'user', id: ADA }],
      before: { digest: 'off' },
      after: { digest: 'daily' },
    });
  });

  it("are another member's to read or set only with users:manage", async () => {
    const { get, put } = setup();
    await expect(get(ORG, BO, member(ADA))).rejects.toThrow(ForbiddenError);
    await expect(put(ORG, BO, NotificationPreferencesInput.parse({}), member(ADA), request)).rejects.toThrow(
      ForbiddenError,
    );
    expect(await get(ORG, BO, member(ADA, 'admin'))).toMatchObject({ userId: BO });
  });

  it("follow a personal key's user, and name no one who is not a user", async () => {
    const { get } = setup();
    const key: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'k',
      orgId: ORG,
      role: 'member',
      ownerUserId: ADA,
    };
    expect(await get(ORG, ADA, key)).toMatchObject({ userId: ADA });
    await expect(get(ORG, 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9', member(ADA, 'admin'))).rejects.toThrow(
      NotFoundError,
    );
  });

  it('lets only the user turn email on again once they turned it off themself; users:manage may change the rest', async () => {
    const { get, put, saved } = setup();
    const admin = member(BO, 'admin');
    await put(
      ORG,
      ADA,
      NotificationPreferencesInput.parse({ channels: { email: false } }),
      member(ADA),
      request,
    );
    expect(saved.get(ADA)?.value.emailOffByUser).toBe(true);
    // Not shown in what the route answers.
    expect(await get(ORG, ADA, member(ADA))).not.toHaveProperty('emailOffByUser');
    await expect(
      put(ORG, ADA, NotificationPreferencesInput.parse({ channels: { email: true } }), admin, request),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await put(
      ORG,
      ADA,
      NotificationPreferencesInput.parse({ channels: { email: false }, digest: 'daily' }),
      admin,
      request,
    );
    expect(saved.get(ADA)?.value).toMatchObject({ digest: 'daily', emailOffByUser: true });
    await put(
      ORG,
      ADA,
      NotificationPreferencesInput.parse({ channels: { email: true } }),
      member(ADA),
      request,
    );
    expect(saved.get(ADA)?.value.emailOffByUser).toBeUndefined();
    // Turned off by an admin, an admin may turn it on again.
    await put(ORG, ADA, NotificationPreferencesInput.parse({ channels: { email: false } }), admin, request);
    await expect(
      put(ORG, ADA, NotificationPreferencesInput.parse({ channels: { email: true } }), admin, request),
    ).resolves.toMatchObject({ channels: { email: true } });
  });
});
