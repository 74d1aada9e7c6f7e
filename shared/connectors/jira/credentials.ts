import * as z from 'zod';
import type { CredentialKind } from '../provider-module';
import { secret } from '../provider-module';

/** Basic auth with an Atlassian account's email and API token. */
export const JiraApiTokenCredentialsSchema = z
  .object({
    kind: z.literal('jira_api_token'),
    email: z.email(),
    apiToken: secret(z.string().min(1).max(1000)),
  })
  .strict()
  .meta({ id: 'JiraApiTokenCredentials', description: "A Jira account's email and API token" });

/** Jira OAuth 2.0 (3LO): the hub refreshes the access token itself. */
export const JiraOAuthCredentialsSchema = z
  .object({
    kind: z.literal('jira_oauth'),
    clientId: z.string().min(1).max(200),
    clientSecret: secret(z.string().min(1).max(1000)),
    refreshToken: secret(z.string().min(1).max(5000).describe('From the 3LO consent (scope offline_access)')),
    tokenUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://auth.atlassian.com/oauth/token')
      .describe("Atlassian's token endpoint; held to the same egress rules as baseUrl"),
    // Kept by the hub as it refreshes (Atlassian rotates the refresh token each time).
    accessToken: secret(z.string().optional()),
    expiresAt: z.number().optional(),
  })
  .strict()
  .meta({
    id: 'JiraOAuthCredentials',
    description:
      "Jira OAuth 2.0 (3LO): the connection's baseUrl is https://api.atlassian.com/ex/jira/{cloudId}",
  });

export type JiraApiTokenCredentials = z.infer<typeof JiraApiTokenCredentialsSchema>;
export type JiraOAuthCredentials = z.infer<typeof JiraOAuthCredentialsSchema>;

export const jiraCredentialKinds = [
  {
    kind: 'jira_api_token',
    description: "An Atlassian account's email and API token (basic auth)",
    schema: JiraApiTokenCredentialsSchema,
  },
  {
    kind: 'jira_oauth',
    description: 'OAuth 2.0 (3LO) with a refresh token; the hub refreshes the access token under a lock',
    schema: JiraOAuthCredentialsSchema,
    urlFields: ['tokenUrl'],
  },
] as const satisfies readonly CredentialKind[];
