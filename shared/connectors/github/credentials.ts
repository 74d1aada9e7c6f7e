import * as z from 'zod';
import type { CredentialKind } from '../provider-module';
import { secret } from '../provider-module';

/** A GitHub App installation: the app's id, the installation's id and the app's private key. */
export const GithubAppCredentialsSchema = z
  .object({
    kind: z.literal('github_app'),
    appId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(String),
    installationId: z.number().int().positive(),
    privateKey: secret(
      z
        .string()
        .max(10_000)
        .regex(/-----BEGIN (RSA )?PRIVATE KEY-----/, 'a PEM private key, as GitHub issues it'),
    ),
  })
  .strict()
  .meta({ id: 'GithubAppCredentials', description: 'A GitHub App installation' });

export type GithubAppCredentials = z.infer<typeof GithubAppCredentialsSchema>;

export const githubCredentialKinds = [
  {
    kind: 'github_app',
    description: 'A GitHub App installation (its id, the installation id and its private key)',
    schema: GithubAppCredentialsSchema,
  },
] as const satisfies readonly CredentialKind[];
