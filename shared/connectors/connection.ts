import * as z from 'zod';

export const PROVIDERS = ['generic', 'github', 'jira'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Where each provider's API is unless a connection says otherwise (GitHub Enterprise Server, a Jira site). */
export const DEFAULT_BASE_URLS: Readonly<Record<Provider, string | null>> = {
  generic: null,
  github: 'https://api.github.com',
  jira: null,
};

export const ConnectionConfigSchema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .describe(
        "The provider's API base URL: https://api.github.com, a GitHub Enterprise Server's https://host/api/v3, or a Jira site such as https://acme.atlassian.net. https, and public addresses only unless the operator allowed the range (plain http to loopback only in the local runtime). Changing it clears the connection's credentials and marks it needs_attention: set them again for the new server",
      ),
  })
  .meta({ id: 'ConnectionConfig' });

export const ConnectionSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    provider: z.enum(PROVIDERS),
    name: z.string(),
    status: z
      .enum(['active', 'disabled', 'needs_attention'])
      .describe(
        '`disabled`: its webhooks are refused; `needs_attention`: the provider refused its credentials',
      ),
    config: ConnectionConfigSchema.default({ baseUrl: null }),
    lastError: z
      .object({ message: z.string(), at: z.iso.datetime() })
      .nullable()
      .default(null)
      .describe('The last failure talking to the provider'),
    webhookUrl: z.string().describe('Path the provider posts webhooks to, relative to the API root'),
    credentials: z
      .object({
        kind: z.enum(['github_app', 'jira_api_token', 'jira_oauth']),
        clientId: z.string().optional(),
        appId: z.string().optional(),
        installationId: z.number().int().optional(),
        email: z.string().optional(),
        setAt: z.iso.datetime(),
      })
      .nullable()
      .default(null)
      .describe('What credentials are set (their secret parts are stored encrypted and never returned)'),
    previousSecretExpiresAt: z.iso
      .datetime()
      .nullable()
      .default(null)
      .describe('After a rotation, until when deliveries signed with the previous secret are still accepted'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Connection' });

export type Connection = z.infer<typeof ConnectionSchema>;

/** What the webhook endpoint needs to verify a delivery, found by connection id alone. */
export interface WebhookRoute {
  readonly orgId: string;
  readonly connectionId: string;
  readonly provider: Provider;
  readonly status: Connection['status'];
  readonly encryptedSecret: string;
  /** The secret before the last rotation, accepted until `previousSecretExpiresAt`. */
  readonly previousEncryptedSecret?: string | null;
  readonly previousSecretExpiresAt?: string | null;
}

/** Credentials as given: the secret parts are encrypted at rest and never returned. */
export const ConnectionCredentialsSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('github_app'),
        appId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(String),
        installationId: z.number().int().positive(),
        privateKey: z
          .string()
          .max(10_000)
          .regex(/-----BEGIN (RSA )?PRIVATE KEY-----/, 'a PEM private key, as GitHub issues it'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('jira_api_token'),
        email: z.email(),
        apiToken: z.string().min(1).max(1000),
      })
      .strict(),
    z
      .object({
        kind: z.literal('jira_oauth'),
        clientId: z.string().min(1).max(200),
        clientSecret: z.string().min(1).max(1000),
        refreshToken: z.string().min(1).max(5000).describe('From the 3LO consent (scope offline_access)'),
        tokenUrl: z
          .url({ protocol: /^https?$/ })
          .default('https://auth.atlassian.com/oauth/token')
          .describe("Atlassian's token endpoint; held to the same egress rules as baseUrl"),
        // Kept by the hub as it refreshes (Atlassian rotates the refresh token each time).
        accessToken: z.string().optional(),
        expiresAt: z.number().optional(),
      })
      .strict()
      .describe(
        "Jira OAuth 2.0 (3LO): the connection's baseUrl is https://api.atlassian.com/ex/jira/{cloudId}",
      ),
  ])
  .meta({ id: 'ConnectionCredentials' });

export type ConnectionCredentials = z.infer<typeof ConnectionCredentialsSchema>;

/** Which kind of credentials each provider takes. */
export const CREDENTIAL_KINDS: Readonly<Record<Provider, readonly ConnectionCredentials['kind'][]>> = {
  generic: [],
  github: ['github_app'],
  jira: ['jira_api_token', 'jira_oauth'],
};
