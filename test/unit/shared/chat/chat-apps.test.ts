import * as z from 'zod';
import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { makeAppSettings, makeManageChatApps } from '../../../../shared/chat/chat-apps';
import { chatParts } from '../../../../shared/chat/chat-parts';
import type { StoredChatApp } from '../../../../shared/chat/ports';
import type { ChatPart } from '../../../../shared/connectors/provider-module';
import { secret } from '../../../../shared/connectors/provider-module';
import type { Principal } from '../../../../shared/identity/principal';

const part: ChatPart = {
  inbound: ['events'],
  appSettings: z.object({ clientId: z.string().min(1), signingSecret: secret(z.string().min(8)) }),
  client: () => ({}) as never,
  app: () => ({ handle: async () => ({ status: 200 }) }),
};
const admin: Principal = { kind: 'platform_admin', type: 'api_key', id: 'key_A', name: 'admin' };
const request = { requestId: 'r1', ip: '203.0.113.9', userAgent: 'jest' };

function setup() {
  const items = new Map<string, StoredChatApp>();
  const audit: AuditRecord[] = [];
  const cipher = {
    encrypt: async (plain: string, context: Readonly<Record<string, string>>) =>
      Buffer.from(JSON.stringify([context, plain])).toString('base64'),
    decrypt: async (cipherText: string, context: Readonly<Record<string, string>>) => {
      const [made, plain] = JSON.parse(Buffer.from(cipherText, 'base64').toString()) as [
        Record<string, string>,
        string,
      ];
      if (JSON.stringify(made) !== JSON.stringify(context)) throw new Error('wrong context');
      return plain;
    },
  };
  const store = {
    get: async (provider: string) => items.get(provider) ?? null,
    put: async (app: StoredChatApp, record: AuditRecord | null, options?: { onlyIfAbsent?: boolean }) => {
      if (options?.onlyIfAbsent && items.has(app.provider)) return false;
      items.set(app.provider, app);
      if (record) audit.push(record);
      return true;
    },
  };
  const apps = makeManageChatApps({
    parts: (p) => (p === 'chatfake' ? part : null),
    store,
    cipher,
    clock: { now: () => new Date('2026-03-01T12:00:00Z') },
  });
  return { apps, items, audit, settings: makeAppSettings({ store, cipher }) };
}

describe("the deployment's chat app settings", () => {
  it('are stored encrypted, shown and audited without their secrets, and decrypt for the provider', async () => {
    const { apps, items, audit, settings } = setup();
    const view = await apps.put(
      'chatfake',
      { clientId: 'c-1', signingSecret: 'very-secret' },
      admin,
      request,
    );
    expect(view).toEqual({
      provider: 'chatfake',
      settings: { clientId: 'c-1' },
      secretsSet: ['signingSecret'],
      updatedAt: '2026-03-01T12:00:00.000Z',
    });
    expect(JSON.stringify(items.get('chatfake')?.summary)).not.toContain('very-secret');
    expect(JSON.stringify(audit)).not.toContain('very-secret');
    expect(audit[0]).toEqual(expect.objectContaining({ action: 'platform.chat_app_set', orgId: 'platform' }));
    expect(await apps.get('chatfake')).toEqual(view);
    expect(await settings('chatfake')).toEqual({ clientId: 'c-1', signingSecret: 'very-secret' });
  });

  it("refuses settings the provider's schema does not take, and a provider without a chat app", async () => {
    const { apps } = setup();
    await expect(
      apps.put('chatfake', { clientId: 'c', signingSecret: 'short' }, admin, request),
    ).rejects.toThrow(/Not app settings/);
    await expect(
      apps.put('chatfake', { clientId: 'c', signingSecret: 'long-enough', extra: 1 }, admin, request),
    ).rejects.toThrow(/Not app settings/);
    await expect(apps.put('jira', {}, admin, request)).rejects.toThrow(/No chat provider jira/);
    await expect(apps.get('chatfake')).rejects.toThrow(/No app settings/);
  });

  it('are seeded with local defaults only when none are set', async () => {
    const { apps, settings } = setup();
    expect(await apps.seed('chatfake', { clientId: 'local', signingSecret: 'local-secret' })).toBe(true);
    await apps.put('chatfake', { clientId: 'mine', signingSecret: 'my-own-secret' }, admin, request);
    expect(await apps.seed('chatfake', { clientId: 'local', signingSecret: 'local-secret' })).toBe(false);
    expect((await settings('chatfake')).clientId).toBe('mine');
  });

  it("name no chat provider after one of the hub's own path prefixes", () => {
    expect(() => chatParts([{ id: 'v1', chat: part }])).toThrow(/cannot be named v1/);
    expect(Object.keys(chatParts([{ id: 'chatfake', chat: part }, { id: 'jira' }]))).toEqual(['chatfake']);
  });
});
