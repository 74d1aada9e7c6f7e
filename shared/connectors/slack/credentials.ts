import * as z from 'zod';
import type { CredentialKind } from '../provider-module';
import { secret } from '../provider-module';

/**
 * What an install into a workspace leaves on the org's Slack connection, written by the OAuth
 * callback (nobody types these): the bot's rotating token (12 hours), its refresh token, the team.
 */
export const SlackBotCredentialsSchema = z
  .object({
    kind: z.literal('slack_bot'),
    teamId: z
      .string()
      .regex(/^T[A-Z0-9]{2,}$/)
      .describe('The workspace (Slack team id)'),
    teamName: z.string().max(200).optional(),
    botUserId: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,}$/)
      .describe("The app's bot user in the workspace"),
    appId: z.string().max(50).optional(),
    scope: z.string().max(2000).optional(),
    accessToken: secret(z.string().min(1).max(5000)),
    refreshToken: secret(z.string().min(1).max(5000)),
    /** Epoch ms when the access token expires; the hub refreshes before. */
    expiresAt: z.number(),
  })
  .strict()
  .describe("A Slack app's installation into a workspace (from its OAuth callback)");

export type SlackBotCredentials = z.infer<typeof SlackBotCredentialsSchema>;

export const slackCredentialKinds = [
  {
    kind: 'slack_bot',
    description: 'Set by installing the Slack app into a workspace (`/slack/install`), never by hand',
    schema: SlackBotCredentialsSchema,
    installedOnly: true,
  },
] as const satisfies readonly CredentialKind[];
