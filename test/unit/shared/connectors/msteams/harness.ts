import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import type { StoredBindCode } from '../../../../../shared/chat/bind-codes';
import { bindCodeHash, mintBindCode } from '../../../../../shared/chat/bind-codes';
import type {
  AppReply,
  AppRequest,
  ChatWork,
  InstallationDirectory,
  StoredConversation,
} from '../../../../../shared/chat/model';
import type { Connection } from '../../../../../shared/connectors/connection';
import { credentialsContext, credentialsServer } from '../../../../../shared/connectors/manage-connections';
import type { ChatDeps } from '../../../../../shared/connectors/provider-module';
import { makeEgressFetch } from '../../../../../shared/egress';
import { systemClock } from '../../../../../shared/ports/clock';
import type { SecretCipher } from '../../../../../shared/ports/secret-cipher';
import { UndecryptableSecretError } from '../../../../../shared/ports/secret-cipher';
import type { ConnectionStore } from '../../../../../shared/ports/stores';
import { installStatesDouble } from '../../../../fakes/slack/chat-deps';
import { Browser } from '../../../../support/browser';
import type { IdpAccount, TestOidcIdp } from '../../../../support/oidc-idp';
import { startOidcIdp } from '../../../../support/oidc-idp';

/** Where the hub is, for the harness (the IdP has its Teams callback registered there). */
export const HUB_URL = 'http://127.0.0.1:3000';
export const CONFIRM_CALLBACK = `${HUB_URL}/msteams/oauth/callback`;

/** Entra role template ids, as the `wids` claim carries them. */
export const ROLES = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  teamsAdministrator: '69091246-20e8-4a56-aa4d-066075b2a7a8',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
} as const;

/** A local OpenID Provider standing in for Microsoft Entra, knowing the fake Teams bot's app registration. */
export const startEntra = (app: { appId?: string; clientSecret?: string }): Promise<TestOidcIdp> =>
  startOidcIdp([
    {
      clientId: String(app.appId),
      clientSecret: String(app.clientSecret),
      redirectUri: CONFIRM_CALLBACK,
    },
  ]);

/** The confirmation link in what the bot said (its card's `Action.OpenUrl`), if any. */
export const confirmationLinkIn = (said: unknown): string | null =>
  JSON.stringify(said ?? null).match(/http:\/\/127\.0\.0\.1:3000\/msteams\/install\?state=[^"\\]+/)?.[0] ??
  null;

const getRequest = (inbound: 'install' | 'oauth/callback', url: URL, cookie: string): AppRequest => ({
  method: 'GET',
  inbound,
  headers: cookie ? { cookie } : {},
  query: Object.fromEntries(url.searchParams),
  body: '',
  receivedAt: new Date(),
});

/** The confirmation page's button pressed in `browser`: its form POSTed with the cookies a same-site POST carries. */
export const pressConfirm = (
  link: string,
  browser: Browser,
  state = new URL(link).searchParams.get('state') ?? '',
): AppRequest => ({
  method: 'POST',
  inbound: 'install',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    ...(browser.cookieHeader(link) ? { cookie: browser.cookieHeader(link) } : {}),
  },
  query: {},
  body: new URLSearchParams({ state }).toString(),
  receivedAt: new Date(),
});

/**
 * A person opening a confirmation link in a browser, pressing the page's button and signing in at
 * the IdP as `account`: the hub's page, its button, the IdP's redirects, then the hub's callback
 * (from `callbackBrowser` when given: another person's browser). The callback's answer.
 */
export async function confirmInBrowser(
  app: { handle(request: AppRequest): Promise<AppReply> },
  idp: TestOidcIdp,
  link: string,
  account: IdpAccount,
  options: { browser?: Browser; callbackBrowser?: Browser; onCallback?: (url: URL) => void } = {},
): Promise<AppReply> {
  const browser = options.browser ?? new Browser();
  const shown = await app.handle(getRequest('install', new URL(link), browser.cookieHeader(link)));
  browser.take(link, shown.cookies ?? []);
  if (shown.status !== 200) return shown;
  const start = await app.handle(pressConfirm(link, browser));
  browser.take(link, start.cookies ?? []);
  let url = start.headers?.location;
  if (start.status !== 302 || !url) return start;
  idp.signInAs(account);
  for (let hop = 0; hop < 12; hop++) {
    const at = new URL(url);
    if (at.href.startsWith(CONFIRM_CALLBACK)) {
      options.onCallback?.(at);
      const by = options.callbackBrowser ?? browser;
      const reply = await app.handle(getRequest('oauth/callback', at, by.cookieHeader(at)));
      by.take(at, reply.cookies ?? []);
      return reply;
    }
    const res = await browser.open(at);
    const location = res.headers.get('location');
    if (!location) throw new Error(`the IdP stopped at ${res.status}: ${await res.text()}`);
    url = new URL(location, at).toString();
  }
  throw new Error('too many redirects');
}

/** Binds a ciphertext to its context, as KMS does, without KMS. */
export const cipher: SecretCipher = {
  encrypt: async (plain, ctx) => Buffer.from(JSON.stringify({ plain, ctx })).toString('base64'),
  decrypt: async (text, ctx) => {
    const { plain, ctx: bound } = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (JSON.stringify(bound) !== JSON.stringify(ctx)) throw new UndecryptableSecretError('wrong context');
    return plain;
  },
};

/** The egress guard as the local runtime sets it: loopback reachable (the fakes live there). */
export const loopbackFetch = makeEgressFetch({ policy: { allowLoopback: true, allowedRanges: [] } });

/**
 * What the Teams parts are given, with the stores as small in-memory doubles of their ports (the
 * DynamoDB adapters are the chat wiring's): connections, the installation directory, the
 * conversation directory and the audit trail, inspectable by the tests.
 */
export function teamsDeps(
  settings: Readonly<Record<string, string>>,
  fetch: typeof globalThis.fetch = loopbackFetch,
) {
  const connections = new Map<string, { connection: Connection; encrypted: string | null }>();
  const bindings = new Map<string, { orgId: string; connectionId: string }>();
  const conversations = new Map<string, StoredConversation>();
  const audit: AuditRecord[] = [];
  const looked: string[] = [];
  const codes = new Map<string, StoredBindCode & { usedAt?: Date }>();
  const installStates = installStatesDouble();
  const installations: InstallationDirectory = {
    bind: async (provider, id, orgId, connectionId) => {
      const key = `${provider}|${id}`;
      const current = bindings.get(key);
      if (current && current.orgId !== orgId) return 'taken';
      bindings.set(key, { orgId, connectionId });
      return 'bound';
    },
    find: async (provider, id) => {
      looked.push(`${provider}|${id}`);
      return bindings.get(`${provider}|${id}`) ?? null;
    },
    unbind: async (provider, id) => {
      bindings.delete(`${provider}|${id}`);
    },
  };
  const connectionStore = {
    get: async (orgId: string, id: string) => {
      const found = connections.get(id);
      return found && found.connection.orgId === orgId ? found.connection : null;
    },
    findWebhookRoute: async (id: string) => {
      const found = connections.get(id);
      return found
        ? {
            orgId: found.connection.orgId,
            connectionId: id,
            provider: found.connection.provider,
            status: found.connection.status,
            encryptedSecret: '',
          }
        : null;
    },
    withCredentials: async (orgId: string, id: string) => {
      const found = connections.get(id);
      return found && found.connection.orgId === orgId
        ? { connection: found.connection, encryptedCredentials: found.encrypted }
        : null;
    },
  } as unknown as ConnectionStore;
  const deps: ChatDeps = {
    fetch,
    clock: systemClock,
    cipher,
    connections: connectionStore,
    installations,
    audit: { append: async (r) => void audit.push(r) },
    appSecret: async () => settings,
    publicUrl: HUB_URL,
    installStates,
    conversations: {
      remember: async (orgId, provider, c) => void conversations.set(`${orgId}|${provider}|${c.id}`, c),
      recall: async (orgId, provider, id) => conversations.get(`${orgId}|${provider}|${id}`) ?? null,
      forget: async (orgId, provider, id) => void conversations.delete(`${orgId}|${provider}|${id}`),
      forgetInstallation: async (orgId, provider, installationId) => {
        const mine = [...conversations].filter(
          ([key, c]) => key.startsWith(`${orgId}|${provider}|`) && c.installationId === installationId,
        );
        for (const [key] of mine) conversations.delete(key);
        return mine.length;
      },
    },
    // As the store claims: once, and only before it expires.
    bindCodes: {
      claim: async (hash, at) => {
        const code = codes.get(hash);
        if (!code || code.usedAt || code.expiresAt <= at) return null;
        code.usedAt = at;
        return code;
      },
    },
  };
  return {
    deps,
    bindings,
    conversations,
    audit,
    /** Confirmations under way (single use, by hash). */
    installStates,
    /** Tenants the app looked up: empty when a request was refused before anything of it was read. */
    looked,
    /** Bind codes by hash, as the store keeps them (never the code). */
    codes,
    /** A fresh bind code for the org's connection and the tenant, valid for `minutes`. */
    bindCode(orgId: string, connectionId: string, tenantId: string, minutes = 15) {
      const code = mintBindCode();
      codes.set(bindCodeHash(code), {
        provider: 'msteams',
        orgId,
        connectionId,
        installationId: tenantId,
        expiresAt: new Date(Date.now() + minutes * 60_000),
      });
      return code;
    },
    /** Deletes a connection, as `DELETE /v1/orgs/{orgId}/connections/{id}` does. */
    removeConnection: (id: string) => void connections.delete(id),
    /** A Teams connection of the org with the given credentials (their secret parts encrypted). */
    async connection(
      orgId: string,
      id: string,
      credentials: Record<string, string>,
      status: Connection['status'] = 'active',
    ) {
      const connection = {
        id,
        orgId,
        provider: 'msteams',
        name: 'Teams',
        status,
        config: { baseUrl: 'https://smba.trafficmanager.net' },
        lastError: null,
        webhookUrl: `/webhooks/msteams/${id}`,
        credentials: {
          kind: credentials.kind ?? '',
          ...(credentials.tenantId ? { tenantId: credentials.tenantId } : {}),
          setAt: new Date().toISOString(),
        },
        previousSecretExpiresAt: null,
        createdAt: new Date().toISOString(),
      } as Connection;
      const encrypted = await cipher.encrypt(
        JSON.stringify(credentials),
        credentialsContext(orgId, id, credentialsServer(connection)),
      );
      connections.set(id, { connection, encrypted });
      return connection;
    },
  };
}

/** A request to `POST /msteams/events` as the generic route hands it to the app part. */
export const eventsRequest = (signed: { headers: Record<string, string>; body: string }): AppRequest => ({
  method: 'POST',
  inbound: 'events',
  headers: signed.headers,
  query: {},
  body: signed.body,
  receivedAt: new Date(),
});

export const workOf = (reply: { work?: readonly ChatWork[] }) => reply.work ?? [];
