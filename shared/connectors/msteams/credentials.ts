import * as z from 'zod';
import type { CredentialKind } from '../provider-module';
import { secret } from '../provider-module';

/**
 * The org's claim on a Microsoft Teams tenant: the deployment's bot installed there posts for the
 * org once someone in the tenant sends it `connect <code>`, a one-time code an org admin made (the
 * conversation references the bot learns are kept apart, in the conversation directory: they are
 * no credentials).
 */
export const TeamsBotCredentialsSchema = z
  .object({
    kind: z.literal('teams_bot'),
    tenantId: z
      .string()
      .regex(/^[0-9a-fA-F-]{36}$/, 'a Microsoft Entra tenant id (a GUID)')
      .transform((t) => t.toLowerCase())
      .describe("The Microsoft Entra tenant (directory) id the hub's Teams bot is installed in"),
  })
  .strict()
  .describe("The hub's Teams bot, installed in the org's Microsoft 365 tenant");

/**
 * Where Teams Workflows (Power Automate) webhook triggers live: Logic Apps' regional hosts
 * (`prod-NN.<region>.logic.azure.com`, `.us` for the US government clouds) and Power Platform's
 * environment hosts (`<env>.environment.api.powerplatform.com`). The retired Office 365
 * connectors' `*.webhook.office.com` is not among them.
 */
export const TEAMS_WORKFLOW_HOSTS = ['*.logic.azure.com', '*.logic.azure.us', '*.powerplatform.com'] as const;

/** A Teams Workflows "Post to a channel when a webhook request is received" URL: channel posts only. */
export const TeamsWorkflowWebhookCredentialsSchema = z
  .object({
    kind: z.literal('teams_workflow_webhook'),
    url: secret(z.url({ protocol: /^https?$/ }).max(2000)).describe(
      "The workflow's HTTP POST URL (it carries its own signature: kept secret)",
    ),
  })
  .strict()
  .describe('A Teams Workflows incoming webhook (Office 365 connectors are retired and not supported)');

export type TeamsBotCredentials = z.infer<typeof TeamsBotCredentialsSchema>;
export type TeamsWorkflowWebhookCredentials = z.infer<typeof TeamsWorkflowWebhookCredentialsSchema>;

export const teamsCredentialKinds = [
  {
    kind: 'teams_bot',
    description:
      "The hub's Teams bot in the org's tenant: proactive cards, updates in place, the bot's commands",
    schema: TeamsBotCredentialsSchema,
  },
  {
    kind: 'teams_workflow_webhook',
    description: 'A Teams Workflows webhook URL: posts to one channel, never updated in place',
    schema: TeamsWorkflowWebhookCredentialsSchema,
    urlFields: ['url'],
    urlHosts: { url: TEAMS_WORKFLOW_HOSTS },
  },
] as const satisfies readonly CredentialKind[];
