import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import { NotFoundError, ValidationError } from '../../../../../shared/errors';
import type { UnsubscribeSubject } from '../../../../../shared/notify/email/ports';
import type { NotificationPreferences } from '../../../../../shared/notify/email/preferences';
import {
  generateUnsubscribeToken,
  hashUnsubscribeToken,
  isOneClickBody,
  isWellFormedUnsubscribeToken,
  makeUnsubscribe,
  resolveUnsubscribe,
  unsubscribeUrl,
} from '../../../../../shared/notify/email/unsubscribe';
import type { Org } from '../../../../../shared/tenancy/org';
import type { User } from '../../../../../shared/tenancy/user';

describe('one-click unsubscribe (RFC 8058)', () => {
  it('takes the form mail providers post', () => {
    expect(isOneClickBody('application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click')).toBe(true);
    expect(
      isOneClickBody('application/x-www-form-urlencoded; charset=utf-8', 'List-Unsubscribe=One-Click'),
    ).toBe(true);
    const multipart =
      '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n';
    expect(isOneClickBody('multipart/form-data; boundary=b', multipart)).toBe(true);
  });

  it('refuses anything else: no body, another value, JSON, or a body far longer than the form', () => {
    expect(isOneClickBody('application/x-www-form-urlencoded', '')).toBe(false);
    expect(isOneClickBody('application/x-www-form-urlencoded', 'List-Unsubscribe=Yes')).toBe(false);
    expect(isOneClickBody('application/json', '{"List-Unsubscribe":"One-Click"}')).toBe(false);
    expect(isOneClickBody(undefined, 'List-Unsubscribe=One-Click')).toBe(false);
    expect(
      isOneClickBody(
        'application/x-www-form-urlencoded',
        `List-Unsubscribe=One-Click&pad=${'x'.repeat(2000)}`,
      ),
    ).toBe(false);
  });

  it('makes random tokens, stored by a hash that does not show them, in links to the unsubscribe page', () => {
    const a = generateUnsubscribeToken();
    const b = generateUnsubscribeToken();
    expect(a).not.toBe(b);
    expect(isWellFormedUnsubscribeToken(a)).toBe(true);
    expect(isWellFormedUnsubscribeToken(`${a}x`)).toBe(false);
    expect(isWellFormedUnsubscribeToken('hubunsub_../../etc')).toBe(false);
    expect(hashUnsubscribeToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashUnsubscribeToken(a)).not.toContain(a.slice(9));
    expect(unsubscribeUrl('https://hub.example/', a)).toBe(`https://hub.example/unsubscribe?token=${a}`);
  });
});

describe('the unsubscribe use case', () => {
  const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
  const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

  function setup(subject: UnsubscribeSubject, orgStatus: 'active' | 'deleted' = 'active') {
    const token = generateUnsubscribeToken();
    const saved: { prefs: NotificationPreferences; version: number; audit: AuditRecord }[] = [];
    const suppressed: { address: string; audit: AuditRecord }[] = [];
    const deps = {
      tokens: {
        put: async () => undefined,
        find: async (hash: string) => (hash === hashUnsubscribeToken(token) ? subject : null),
      },
      orgs: { get: async () => ({ id: ORG, name: 'Acme', status: orgStatus }) as Org },
      users: { get: async () => ({ id: USER }) as User },
      preferences: {
        get: async () => {
          const last = saved.at(-1);
          return last ? { value: { ...last.prefs, updatedAt: 'x' }, version: last.version } : null;
        },
        getMany: async () => new Map(),
        save: async (
          _o: string,
          _u: string,
          prefs: NotificationPreferences,
          _at: string,
          v: number,
          audit: AuditRecord,
        ) => void saved.push({ prefs, version: v + 1, audit }),
      },
      suppressions: {
        suppress: async (_o: string, s: { address: string }, audit: AuditRecord) => {
          suppressed.push({ address: s.address, audit });
          return true;
        },
        suppressed: async () => new Set<string>(),
        list: async () => ({ items: [], nextCursor: null }),
        remove: async () => undefined,
      },
      clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    };
    return { token, saved, suppressed, unsubscribe: makeUnsubscribe(deps), deps };
  }

  it("turns a user's email notifications off once, audited, whatever else they chose", async () => {
    const { token, saved, unsubscribe } = setup({ orgId: ORG, userId: USER });
    await unsubscribe(token, { requestId: 'r1', oneClick: true });
    expect(saved).toHaveLength(1);
    expect(saved[0]?.prefs.channels).toEqual({ email: false, chat: true });
    expect(saved[0]?.audit).toMatchObject({
      action: 'notification_preferences.unsubscribed',
      targets: [{ type: 'user', id: USER }],
      before: { channels: { email: true } },
      after: { channels: { email: false } },
    });
    await unsubscribe(token, { requestId: 'r2', oneClick: true });
    expect(saved).toHaveLength(1);
  });

  it('suppresses a bare address in its org', async () => {
    const { token, suppressed, unsubscribe } = setup({ orgId: ORG, address: 'ops@example.com' });
    expect(await unsubscribe(token, { requestId: 'r', oneClick: true })).toEqual({ orgName: 'Acme' });
    expect(suppressed.map((s) => s.address)).toEqual(['ops@example.com']);
  });

  it('changes nothing without the one-click body, and knows no token of a deleted org or none at all', async () => {
    const { token, saved, unsubscribe } = setup({ orgId: ORG, userId: USER });
    await expect(unsubscribe(token, { requestId: 'r', oneClick: false })).rejects.toThrow(ValidationError);
    await expect(unsubscribe(generateUnsubscribeToken(), { requestId: 'r', oneClick: true })).rejects.toThrow(
      NotFoundError,
    );
    await expect(unsubscribe('not a token', { requestId: 'r', oneClick: true })).rejects.toThrow(
      NotFoundError,
    );
    expect(saved).toEqual([]);
    const gone = setup({ orgId: ORG, userId: USER }, 'deleted');
    expect(await resolveUnsubscribe(gone.deps, gone.token)).toBeNull();
  });
});
