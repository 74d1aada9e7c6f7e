import * as z from 'zod';
import type { CredentialKind } from '../provider-module';
import { secret } from '../provider-module';

export const GitlabTokenCredentialsSchema = z
  .object({
    kind: z.literal('gitlab_token'),
    token: secret(z.string().min(1).max(1000)).describe(
      'A personal, project or group access token (scope `api`); the hub acts as its user',
    ),
  })
  .strict()
  .describe('A GitLab access token, sent as `PRIVATE-TOKEN`');

export const GitlabOAuthCredentialsSchema = z
  .object({
    kind: z.literal('gitlab_oauth'),
    clientId: z.string().min(1).max(200).describe("The OAuth application's ID"),
    clientSecret: secret(z.string().min(1).max(1000)),
    refreshToken: secret(z.string().min(1).max(5000)).describe('From the consent (scope `api`)'),
    tokenUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'The token endpoint; `<baseUrl>/oauth/token` unless given. Held to the same egress rules as baseUrl',
      ),
    redirectUri: z
      .url()
      .optional()
      .describe('The redirect URI of the consent, which GitLab may ask for again on refresh'),
    // Kept by the hub as it refreshes (GitLab rotates the refresh token each time).
    accessToken: secret(z.string()).optional(),
    expiresAt: z.number().optional(),
  })
  .strict()
  .describe('A GitLab OAuth 2.0 application, refreshed by the hub');

export type GitlabTokenCredentials = z.infer<typeof GitlabTokenCredentialsSchema>;
export type GitlabOAuthCredentials = z.infer<typeof GitlabOAuthCredentialsSchema>;
export type GitlabCredentials = GitlabTokenCredentials | GitlabOAuthCredentials;

/** The credentials a GitLab connection takes, or null when these are another provider's. */
export function gitlabCredentials(value: unknown): GitlabCredentials | null {
  const kind = (value as { kind?: unknown } | null)?.kind;
  const schema =
    kind === 'gitlab_token'
      ? GitlabTokenCredentialsSchema
      : kind === 'gitlab_oauth'
        ? GitlabOAuthCredentialsSchema
        : null;
  const parsed = schema?.safeParse(value);
  return parsed?.success ? parsed.data : null;
}

/** Where a GitLab OAuth application's tokens come from: as given, or the connection's server's `/oauth/token`. */
export const tokenUrlOf = (credentials: GitlabOAuthCredentials, baseUrl: string) =>
  credentials.tokenUrl ?? `${baseUrl.replace(/\/+$/, '')}/oauth/token`;

export const gitlabCredentialKinds = [
  {
    kind: 'gitlab_token',
    description: 'A personal, project or group access token with the `api` scope',
    schema: GitlabTokenCredentialsSchema,
  },
  {
    kind: 'gitlab_oauth',
    description: 'An OAuth 2.0 application and a refresh token from its consent (scope `api`)',
    schema: GitlabOAuthCredentialsSchema,
    urlFields: ['tokenUrl'],
  },
] as const satisfies readonly CredentialKind[];
