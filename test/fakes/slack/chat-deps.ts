import type { AuditRecord } from '../../../shared/audit/audit-record';
import type { InstallClaims, InstallStateStore } from '../../../shared/chat/install-state';
import type { InstallationDirectory } from '../../../shared/chat/model';
import type { ChatDeps } from '../../../shared/connectors/provider-module';
import type { SecretCipher } from '../../../shared/ports/secret-cipher';
import { UndecryptableSecretError } from '../../../shared/ports/secret-cipher';
import type { ConnectionStore } from '../../../shared/ports/stores';

/** Binds a ciphertext to its encryption context, as KMS does, without KMS. */
export const contextCipher: SecretCipher = {
  encrypt: async (plain, ctx) => Buffer.from(JSON.stringify({ plain, ctx })).toString('base64'),
  decrypt: async (text, ctx) => {
    const { plain, ctx: bound } = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (JSON.stringify(bound) !== JSON.stringify(ctx)) throw new UndecryptableSecretError('wrong context');
    return plain;
  },
};

/** The installation directory's contract (one org per installation), kept in a map: for tests of a provider's app. */
export function installationsDouble(): InstallationDirectory & {
  readonly bound: Map<string, { orgId: string; connectionId: string }>;
  finds: number;
} {
  const bound = new Map<string, { orgId: string; connectionId: string }>();
  const directory = {
    bound,
    finds: 0,
    async bind(provider: string, installationId: string, orgId: string, connectionId: string) {
      const key = `${provider}:${installationId}`;
      const held = bound.get(key);
      if (held && held.orgId !== orgId) return 'taken' as const;
      bound.set(key, { orgId, connectionId });
      return 'bound' as const;
    },
    async find(provider: string, installationId: string) {
      directory.finds += 1;
      return bound.get(`${provider}:${installationId}`) ?? null;
    },
    async unbind(provider: string, installationId: string) {
      bound.delete(`${provider}:${installationId}`);
    },
  };
  return directory;
}

/** The install state store's contract (single use, by hash), kept in a map. */
export function installStatesDouble(): InstallStateStore & { readonly states: Map<string, InstallClaims> } {
  const states = new Map<string, InstallClaims>();
  return {
    states,
    async put(hash, claims) {
      states.set(hash, claims);
    },
    async take(hash) {
      const claims = states.get(hash) ?? null;
      states.delete(hash);
      return claims;
    },
  };
}

/** Chat deps for a provider's app and client in tests: the egress fetch is the test's (loopback) fetch. */
export function chatDeps(over: Partial<ChatDeps> & { appSettings: Record<string, string> }): ChatDeps & {
  readonly trail: AuditRecord[];
} {
  const trail: AuditRecord[] = [];
  const { appSettings, ...rest } = over;
  return {
    fetch: globalThis.fetch,
    clock: { now: () => new Date() },
    cipher: contextCipher,
    connections: {} as ConnectionStore,
    installations: installationsDouble(),
    audit: {
      append: async (record: AuditRecord) => {
        trail.push(record);
      },
    },
    appSecret: async () => appSettings,
    publicUrl: 'http://127.0.0.1:3000',
    installStates: installStatesDouble(),
    trail,
    ...rest,
  };
}
