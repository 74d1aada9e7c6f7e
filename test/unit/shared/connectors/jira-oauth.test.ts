import { createServer } from 'node:http';
import { listenOnLoopback } from '../../../../lib/local/free-port';
import type { AuditRecord } from '../../../../shared/audit/audit-record';
import type { Connection } from '../../../../shared/connectors/connection';
import { ConnectionCredentialsSchema } from '../../../../shared/connectors/connection';
import { jiraClient } from '../../../../shared/connectors/jira/client';
import { makeJiraTokenSource } from '../../../../shared/connectors/jira/oauth';
import { credentialsContext } from '../../../../shared/connectors/manage-connections';
import { ConflictError, DependencyUnavailableError, ProviderAuthError } from '../../../../shared/errors';
import type { SecretCipher } from '../../../../shared/ports/secret-cipher';
import { UndecryptableSecretError } from '../../../../shared/ports/secret-cipher';
import type { LockStore } from '../../../../shared/ports/stores';

const orgId = 'org_01JOAUTH';
const connectionId = 'con_01JOAUTH';
const site = 'https://acme.atlassian.net';
const context = credentialsContext(orgId, connectionId, site);
/** Binds a ciphertext to its context, as KMS does, without KMS. */
const cipher: SecretCipher = {
  encrypt: async (plain, ctx) => Buffer.from(JSON.stringify({ plain, ctx })).toString('base64'),
  decrypt: async (text, ctx) => {
    const { plain, ctx: bound } = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (JSON.stringify(bound) !== JSON.stringify(ctx)) throw new UndecryptableSecretError('wrong context');
    return plain;
  },
};

const jiraConnection = (baseUrl: string): Connection => ({
  id: connectionId,
  orgId,
  provider: 'jira',
  name: 'Jira',
  status: 'active',
  config: { baseUrl },
  lastError: null,
  webhookUrl: `/webhooks/jira/${connectionId}`,
  credentials: null,
  previousSecretExpiresAt: null,
  createdAt: new Date().toISOString(),
});

/** The connection store's connection item, as the port promises it: conditional on `expected` when given. */
function credentialStore() {
  const state = { stored: null as string | null, failures: 0, baseUrl: site };
  return {
    state,
    async withCredentials() {
      return { connection: jiraConnection(state.baseUrl), encryptedCredentials: state.stored };
    },
    async replaceEncryptedCredentials(_o: string, _c: string, encrypted: string, expected?: string) {
      if (state.failures > 0) {
        state.failures -= 1;
        throw new Error('the table did not answer');
      }
      if (expected !== undefined && state.stored !== expected) throw new ConflictError('changed meanwhile');
      state.stored = encrypted;
    },
    async read() {
      return state.stored ? JSON.parse(await cipher.decrypt(state.stored, context)) : null;
    },
  };
}

/** Leases as the DynamoDB lock store keeps them: free, or expired. */
function lockStore(): LockStore {
  const held = new Map<string, { owner: string; until: number }>();
  return {
    async acquire(_o, name, owner, ttlMs) {
      const now = Date.now();
      const current = held.get(name);
      if (current && current.until >= now) return false;
      held.set(name, { owner, until: now + ttlMs });
      return true;
    },
    async release(_o, name, owner) {
      if (held.get(name)?.owner === owner) held.delete(name);
    },
  };
}

/** Atlassian's token endpoint: each refresh token works once, and each refresh issues a new one. */
async function tokenEndpoint(options: { gate?: Promise<void>; received?: () => void } = {}) {
  const state = { valid: 'refresh-1', refreshes: 0 };
  const server = await listenOnLoopback(
    createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (body.refresh_token !== state.valid) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'invalid_grant' }));
      }
      state.refreshes += 1;
      state.valid = `refresh-${state.refreshes + 1}`;
      const answer = {
        access_token: `access-${state.refreshes}`,
        refresh_token: state.valid,
        expires_in: 3600,
      };
      options.received?.();
      await options.gate;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    }),
  );
  return { ...server, state };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => Promise.all(stops.splice(0).map((s) => s())));

async function arrange(options: Parameters<typeof tokenEndpoint>[0] = {}) {
  const endpoint = await tokenEndpoint(options);
  stops.push(endpoint.stop);
  const connections = credentialStore();
  connections.state.stored = await cipher.encrypt(
    JSON.stringify({
      kind: 'jira_oauth',
      clientId: 'client',
      clientSecret: 'secret',
      refreshToken: 'refresh-1',
      tokenUrl: `${endpoint.endpoint}/oauth/token`,
    }),
    context,
  );
  const audited: AuditRecord[] = [];
  let now = Date.now();
  const locks = lockStore();
  const source = (at = () => new Date(now)) =>
    makeJiraTokenSource({
      connections,
      cipher,
      locks,
      audit: { append: async (r) => void audited.push(r) },
      clock: { now: at },
    });
  return { endpoint, connections, locks, audited, source, later: (ms: number) => (now += ms) };
}

describe('Jira OAuth refresh tokens, which Atlassian rotates on every refresh', () => {
  it('stores the rotated tokens before the access token is used, and a failed store costs no new consent', async () => {
    const { endpoint, connections, locks, audited, source, later } = await arrange();
    const tokens = source();
    // The exchange succeeds (Atlassian has rotated) and every try at storing the result fails.
    connections.state.failures = 3;
    await expect(tokens.token(orgId, connectionId, site)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(endpoint.state.refreshes).toBe(1);
    expect(await connections.read()).toMatchObject({ refreshToken: 'refresh-1' });
    // Nobody else may spend the dead refresh token meanwhile: the lock is still held.
    expect(await locks.acquire(orgId, `jira-oauth#${connectionId}`, 'another-worker', 30_000)).toBe(false);

    // The next attempt stores what Atlassian issued first, and only then hands out its access token.
    expect(await tokens.token(orgId, connectionId, site)).toBe('access-1');
    expect(endpoint.state.refreshes).toBe(1);
    expect(await connections.read()).toMatchObject({ refreshToken: 'refresh-2', accessToken: 'access-1' });
    expect(audited.map((r) => r.action)).toEqual(['connection.oauth_refreshed']);
    expect(JSON.stringify(audited)).not.toContain('refresh-2');

    // And the grant lives on: the next refresh uses the stored, rotated token.
    later(2 * 3600_000);
    expect(await source().token(orgId, connectionId, site)).toBe('access-2');
    expect(await connections.read()).toMatchObject({ refreshToken: 'refresh-3' });
  });

  it('never writes refreshed tokens back over credentials cleared meanwhile (the connection moved server)', async () => {
    let open: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const received = new Promise<void>((r) => {
      arrived = r;
    });
    const { connections, source } = await arrange({ gate, received: () => arrived() });
    const pending = source().token(orgId, connectionId, site);
    await received;
    connections.state.stored = null;
    open();
    await expect(pending).rejects.toBeInstanceOf(ConflictError);
    expect(connections.state.stored).toBeNull();
  });

  it('uses a cached access token only with the credentials it came from', async () => {
    const { connections, source } = await arrange();
    const tokens = source();
    expect(await tokens.token(orgId, connectionId, site)).toBe('access-1');
    // New credentials are set (a new consent, perhaps for another site): the old token is not theirs.
    connections.state.stored = await cipher.encrypt(
      JSON.stringify({
        kind: 'jira_oauth',
        clientId: 'other-client',
        clientSecret: 'other-secret',
        refreshToken: 'other-refresh',
        tokenUrl: 'https://auth.atlassian.com/oauth/token',
        accessToken: 'other-access',
        expiresAt: Date.now() + 3600_000,
      }),
      context,
    );
    expect(await tokens.token(orgId, connectionId, site)).toBe('other-access');
  });

  it('hands no token to a client bound to another host than the one the connection points at now', async () => {
    const { endpoint, connections, source } = await arrange();
    connections.state.baseUrl = 'https://other.atlassian.net';
    await expect(source().token(orgId, connectionId, site)).rejects.toBeInstanceOf(ProviderAuthError);
    // Not even a refresh: the old host's client gets nothing from the credentials.
    expect(endpoint.state.refreshes).toBe(0);
  });

  it("sends a client's old host no token once the connection moved and has new credentials", async () => {
    const seen: (string | undefined)[] = [];
    const old = await listenOnLoopback(
      createServer((req, res) => {
        seen.push(req.headers.authorization);
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accountId: 'bot', displayName: 'Bot' }));
      }),
    );
    stops.push(old.stop);
    const { connections, source } = await arrange();
    const oauth = (accessToken: string, server: string) =>
      cipher.encrypt(
        JSON.stringify({
          kind: 'jira_oauth',
          clientId: 'client',
          clientSecret: 'secret',
          refreshToken: 'refresh',
          tokenUrl: 'https://auth.atlassian.com/oauth/token',
          accessToken,
          expiresAt: Date.now() + 3600_000,
        }),
        credentialsContext(orgId, connectionId, server),
      );
    connections.state.baseUrl = old.endpoint;
    connections.state.stored = await oauth('access-old', old.endpoint);
    const tokens = source();
    // A client for the connection as it was (a sync worker keeps it for a while), with the old host fixed.
    const client = await jiraClient(
      jiraConnection(old.endpoint),
      ConnectionCredentialsSchema.parse(
        JSON.parse(
          await cipher.decrypt(
            connections.state.stored,
            credentialsContext(orgId, connectionId, old.endpoint),
          ),
        ),
      ),
      tokens,
    );
    await client.myself.getCurrentUser();
    expect(seen).toEqual(['Bearer access-old']);

    // The connection moves to another site and gets credentials for it.
    connections.state.baseUrl = 'https://other.atlassian.net';
    connections.state.stored = await oauth('access-new', 'https://other.atlassian.net');
    await expect(client.myself.getCurrentUser()).rejects.toThrow();
    expect(seen).toEqual(['Bearer access-old']);
  });
});
