import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import type { Connection } from '../../../../../shared/connectors/connection';
import { gitlabApi } from '../../../../../shared/connectors/gitlab/client';
import { gitlabProvider } from '../../../../../shared/connectors/gitlab/module';
import { credentialsContext, credentialsServer } from '../../../../../shared/connectors/manage-connections';
import { ConflictError, ProviderAuthError } from '../../../../../shared/errors';
import type { SecretCipher } from '../../../../../shared/ports/secret-cipher';
import { UndecryptableSecretError } from '../../../../../shared/ports/secret-cipher';
import type { LockStore } from '../../../../../shared/ports/stores';
import type { FakeGitlab } from '../../../../fakes/gitlab';
import { GITLAB_HUB, GITLAB_OAUTH_APP, startFakeGitlab } from '../../../../fakes/gitlab';

const orgId = 'org_01JGITLABOAUTH';
const connectionId = 'con_01JGITLABOAUTH';
/** Binds a ciphertext to its context, as KMS does, without KMS. */
const cipher: SecretCipher = {
  encrypt: async (plain, ctx) => Buffer.from(JSON.stringify({ plain, ctx })).toString('base64'),
  decrypt: async (text, ctx) => {
    const { plain, ctx: bound } = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (JSON.stringify(bound) !== JSON.stringify(ctx)) throw new UndecryptableSecretError('wrong context');
    return plain;
  },
};

let fake: FakeGitlab;
beforeEach(async () => {
  fake = await startFakeGitlab();
});
afterEach(async () => fake.stop());

const connectionAt = (baseUrl: string): Connection => ({
  id: connectionId,
  orgId,
  provider: 'gitlab' as Connection['provider'],
  name: 'GitLab',
  status: 'active',
  config: { baseUrl },
  lastError: null,
  webhookUrl: `/webhooks/gitlab/${connectionId}`,
  credentials: null,
  previousSecretExpiresAt: null,
  createdAt: new Date().toISOString(),
});

/** The connection store's item, conditional on `expected` as the port promises. */
function store(baseUrl: string) {
  const state = { stored: null as string | null, writes: 0 };
  const connection = connectionAt(baseUrl);
  const context = credentialsContext(orgId, connectionId, credentialsServer(connection));
  return {
    state,
    connection,
    async withCredentials() {
      return { connection, encryptedCredentials: state.stored };
    },
    async replaceEncryptedCredentials(_o: string, _c: string, encrypted: string, expected?: string) {
      if (expected !== undefined && state.stored !== expected) throw new ConflictError('changed meanwhile');
      state.writes += 1;
      state.stored = encrypted;
    },
    async put(credentials: unknown) {
      state.stored = await cipher.encrypt(JSON.stringify(credentials), context);
    },
    async read() {
      return JSON.parse(await cipher.decrypt(state.stored ?? '', context));
    },
  };
}

function locks(): LockStore {
  const held = new Map<string, { owner: string; until: number }>();
  return {
    async acquire(_o, name, owner, ttlMs) {
      const current = held.get(name);
      if (current && current.until >= Date.now()) return false;
      held.set(name, { owner, until: Date.now() + ttlMs });
      return true;
    },
    async release(_o, name, owner) {
      if (held.get(name)?.owner === owner) held.delete(name);
    },
  };
}

const oauth = (refreshToken: string) => ({
  kind: 'gitlab_oauth',
  clientId: GITLAB_OAUTH_APP.clientId,
  clientSecret: GITLAB_OAUTH_APP.clientSecret,
  refreshToken,
});

describe('GitLab OAuth applications, whose refresh tokens GitLab rotates', () => {
  it('refreshes once per connection under the lock, however many workers ask at once, and stores the rotated token', async () => {
    const connections = store(fake.url);
    await connections.put(oauth(fake.oauth.refreshToken));
    const sharedLocks = locks();
    const audited: AuditRecord[] = [];
    const worker = () =>
      (gitlabProvider.tokens as NonNullable<typeof gitlabProvider.tokens>)({
        connections,
        cipher,
        locks: sharedLocks,
        audit: { append: async (r) => void audited.push(r) },
        clock: { now: () => new Date() },
      });
    const [a, b] = [worker(), worker()];
    const tokens = await Promise.all([
      a.token(orgId, connectionId, fake.url),
      b.token(orgId, connectionId, fake.url),
      a.token(orgId, connectionId, fake.url),
    ]);
    expect(fake.oauth.refreshes).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    // The token endpoint was the connection's server's `/oauth/token`, and what it rotated is what is stored.
    expect(fake.calls.filter((c) => c.path === '/oauth/token')).toHaveLength(1);
    expect(await connections.read()).toMatchObject({
      refreshToken: fake.oauth.refreshToken,
      accessToken: tokens[0],
    });
    expect(audited.map((r) => r.action)).toEqual(['connection.oauth_refreshed']);
    expect(JSON.stringify(audited)).not.toContain(fake.oauth.refreshToken);

    // And the access token works as a bearer against the API.
    const api = await gitlabApi(
      connections.connection,
      { ...oauth('unused'), kind: 'gitlab_oauth' },
      { accessTokens: a },
    );
    expect((await api.users.showCurrentUser()).username).toBe(GITLAB_HUB.username);
  });

  it('a refresh token GitLab no longer takes is ProviderAuthError (a new consent is needed), with no body in the message', async () => {
    const connections = store(fake.url);
    await connections.put(oauth('gl-refresh-revoked'));
    const tokens = (gitlabProvider.tokens as NonNullable<typeof gitlabProvider.tokens>)({
      connections,
      cipher,
      locks: locks(),
      audit: { append: async () => undefined },
      clock: { now: () => new Date() },
    });
    const error = await tokens.token(orgId, connectionId, fake.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect((error as Error).message).toBe('GitLab OAuth: the refresh was refused (HTTP 400, invalid_grant)');
    expect(connections.state.writes).toBe(0);
  });

  it('sends no token for a client bound to a server the connection no longer points at', async () => {
    const connections = store(fake.url);
    await connections.put(oauth(fake.oauth.refreshToken));
    const tokens = (gitlabProvider.tokens as NonNullable<typeof gitlabProvider.tokens>)({
      connections,
      cipher,
      locks: locks(),
      audit: { append: async () => undefined },
      clock: { now: () => new Date() },
    });
    await expect(tokens.token(orgId, connectionId, 'https://gitlab.example.com')).rejects.toBeInstanceOf(
      ProviderAuthError,
    );
    expect(fake.oauth.refreshes).toBe(0);
  });
});
