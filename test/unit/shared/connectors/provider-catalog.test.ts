import { generateKeyPairSync } from 'node:crypto';
import { openApiDocument } from '../../../../shared/api/openapi';
import type { AuditRecord, RequestContext } from '../../../../shared/audit/audit-record';
import type { Connection } from '../../../../shared/connectors/connection';
import { makeSetConnectionCredentials } from '../../../../shared/connectors/manage-connections';
import { lazyTokenSources, providerCatalog } from '../../../../shared/connectors/provider-catalog';
import type { ProviderModule } from '../../../../shared/connectors/provider-module';
import { ValidationError } from '../../../../shared/errors';
import { PROVIDER_MODULES, PROVIDERS } from '../../../../shared/providers';
import { routes } from '../../../../shared/topology';
import { platformAdmin } from '../../../support/api-events';

const request: RequestContext = { requestId: 'req-cat', ip: '127.0.0.1', userAgent: 'jest' };
const at = new Date('2026-03-01T10:00:00Z');
const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

/** Each kind with every field given, secrets included. */
const full = {
  github_app: { kind: 'github_app', appId: '1001', installationId: 2002, privateKey },
  jira_api_token: { kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 'tok-SECRET-1' },
  jira_oauth: {
    kind: 'jira_oauth',
    clientId: 'client-1',
    clientSecret: 'cs-SECRET-2',
    refreshToken: 'rt-SECRET-3',
    accessToken: 'at-SECRET-4',
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
  },
} as const;

describe('the providers derived from the list of modules', () => {
  it('lists each provider once, with the kinds of credentials it takes', () => {
    expect(PROVIDERS.ids).toEqual(PROVIDER_MODULES.map((m) => m.id));
    // The list's own providers among them; a provider added to the list needs no change here.
    expect(PROVIDERS.ids).toEqual(expect.arrayContaining(['generic', 'github', 'jira']));
    expect(PROVIDERS.kindsOf('jira').map((k) => k.kind)).toEqual(['jira_api_token', 'jira_oauth']);
    expect(PROVIDERS.kindsOf('generic')).toEqual([]);
    expect(PROVIDERS.kindsOf('nope')).toEqual([]);
  });

  it('summarises credentials by their non-secret fields and when they were set, never a secret', () => {
    expect(PROVIDERS.summarise(PROVIDERS.credentialsSchema.parse(full.github_app), at)).toEqual({
      kind: 'github_app',
      appId: '1001',
      installationId: 2002,
      setAt: at.toISOString(),
    });
    expect(PROVIDERS.summarise(PROVIDERS.credentialsSchema.parse(full.jira_api_token), at)).toEqual({
      kind: 'jira_api_token',
      email: 'bot@acme.test',
      setAt: at.toISOString(),
    });
    const oauth = PROVIDERS.summarise(PROVIDERS.credentialsSchema.parse(full.jira_oauth), at);
    expect(oauth).toEqual({
      kind: 'jira_oauth',
      clientId: 'client-1',
      tokenUrl: 'https://auth.atlassian.com/oauth/token',
      setAt: at.toISOString(),
    });
    expect(JSON.stringify(oauth)).not.toMatch(/SECRET/);
  });

  it('audits the summary only when credentials are set, and stores them encrypted', async () => {
    const connection = {
      id: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3',
      orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
      provider: 'jira',
      config: { baseUrl: 'https://acme.atlassian.net' },
      credentials: null,
    } as unknown as Connection;
    const saved: { next?: Connection; encrypted?: string; audit?: AuditRecord } = {};
    const set = makeSetConnectionCredentials({
      connections: {
        withCredentials: async () => ({ connection, encryptedCredentials: null }),
        setCredentials: async (next: Connection, encrypted: string, audit: AuditRecord) => {
          Object.assign(saved, { next, encrypted, audit });
        },
      } as never,
      clock: { now: () => at },
      cipher: { encrypt: async (plain) => `sealed(${plain.length})`, decrypt: async () => '' },
      providers: PROVIDERS,
    });
    const body = PROVIDERS.credentialsSchema.parse(full.jira_oauth);
    const next = await set(connection.orgId, connection.id, body, platformAdmin, request);
    expect(next.credentials).toMatchObject({ kind: 'jira_oauth', clientId: 'client-1' });
    expect(saved.audit?.after).toEqual(next.credentials);
    expect(JSON.stringify({ next, audit: saved.audit })).not.toMatch(/SECRET/);
    expect(saved.encrypted).toMatch(/^sealed\(\d+\)$/);
  });

  it("refuses a kind the connection's provider does not take, and a token endpoint the hub may not call", () => {
    expect(() =>
      PROVIDERS.checkCredentials('github', PROVIDERS.credentialsSchema.parse(full.jira_api_token)),
    ).toThrow(ValidationError);
    expect(() =>
      PROVIDERS.checkCredentials('generic', PROVIDERS.credentialsSchema.parse(full.github_app)),
    ).toThrow(/does not take github_app/);
    const internal = PROVIDERS.credentialsSchema.parse({
      ...full.jira_oauth,
      tokenUrl: 'https://10.0.0.8/token',
    });
    expect(() => PROVIDERS.checkCredentials('jira', internal)).toThrow(/cannot call https:\/\/10\.0\.0\.8/);
    expect(() => PROVIDERS.credentialsSchema.parse({ kind: 'smtp_password', password: 'x' })).toThrow();
  });

  it("takes a provider's default base URL, requires one where it has none, and refuses unknown providers", () => {
    expect(PROVIDERS.baseUrlFor('github', undefined)).toBe('https://api.github.com');
    expect(PROVIDERS.baseUrlFor('github', 'https://ghes.acme.test/api/v3/')).toBe(
      'https://ghes.acme.test/api/v3',
    );
    expect(PROVIDERS.baseUrlFor('generic', undefined)).toBeNull();
    expect(() => PROVIDERS.baseUrlFor('jira', null)).toThrow(/needs its base URL: the Jira site/);
    expect(() => PROVIDERS.baseUrlFor('gitlub', undefined)).toThrow(ValidationError);
  });

  it('refuses a list that names a provider or a credential kind twice', () => {
    const [generic, github] = PROVIDER_MODULES;
    expect(() => providerCatalog([generic, generic])).toThrow(/listed twice/);
    const copy = { ...github, id: 'github-two' } as ProviderModule;
    expect(() => providerCatalog([github, copy])).toThrow(/declared twice/);
  });

  it("refuses a provider named like the hub's own event source", () => {
    const [generic] = PROVIDER_MODULES;
    expect(() => providerCatalog([{ ...generic, id: 'hub' } as ProviderModule])).toThrow(/reserved/);
  });

  it("builds a provider's token source on its first use only, and once", async () => {
    let built = 0;
    const tokens = lazyTokenSources(
      [
        {
          ...PROVIDER_MODULES[0],
          id: 'oauthy',
          tokens: () => {
            built++;
            return { token: async (_org, id) => `token-for-${id}` };
          },
        } as ProviderModule,
      ],
      () => ({}) as never,
    );
    expect(Object.keys(tokens)).toEqual(['oauthy']);
    expect(built).toBe(0);
    expect(await tokens.oauthy?.token('org', 'con_1', 'https://x.test')).toBe('token-for-con_1');
    await tokens.oauthy?.token('org', 'con_2', 'https://x.test');
    expect(built).toBe(1);
  });
});

describe('the OpenAPI document, from the modules', () => {
  const document = openApiDocument(PROVIDERS) as unknown as {
    paths: Record<
      string,
      Record<string, { operationId: string; description?: string; parameters?: unknown[] }>
    >;
    components: { schemas: Record<string, Record<string, unknown>> };
  };

  it('has one webhook route for every provider, documenting each one', () => {
    const webhookPaths = Object.keys(document.paths).filter((p) => p.startsWith('/webhooks/'));
    expect(webhookPaths).toEqual(['/webhooks/{provider}/{connectionId}']);
    expect(routes.filter((r) => r.path.startsWith('/webhooks/')).map((r) => r.operationId)).toEqual([
      'receiveWebhook',
    ]);
    const operation = document.paths['/webhooks/{provider}/{connectionId}']?.post;
    expect(operation?.operationId).toBe('receiveWebhook');
    for (const module of PROVIDER_MODULES) {
      expect(operation?.description).toContain(`**${module.id}**`);
      for (const header of module.webhook.docs.headers) expect(operation?.description).toContain(header);
    }
    expect(JSON.stringify(operation?.parameters)).toContain(
      `"enum":${JSON.stringify(PROVIDER_MODULES.map((m) => m.id))}`,
    );
  });

  it('lists the providers, and each kind of credentials with its secret fields write-only', () => {
    expect(document.components.schemas.ProviderId).toMatchObject({ enum: PROVIDER_MODULES.map((m) => m.id) });
    const all = JSON.stringify(document.components.schemas);
    for (const kind of ['github_app', 'jira_api_token', 'jira_oauth']) expect(all).toContain(`"${kind}"`);
    const jiraToken = document.components.schemas.JiraApiTokenCredentials as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(jiraToken.properties.apiToken).toMatchObject({ writeOnly: true });
    expect(jiraToken.properties.email?.writeOnly).toBeUndefined();
    // What a connection returns of its credentials: each kind's summary, no secret field.
    const summary = JSON.stringify(document.components.schemas.CredentialSummary);
    expect(summary).toContain('appId');
    for (const secret of ['privateKey', 'apiToken', 'clientSecret', 'refreshToken', 'accessToken'])
      expect(summary).not.toContain(secret);
  });
});
