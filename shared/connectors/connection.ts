import * as z from 'zod';

export const PROVIDERS = ['generic', 'github', 'jira'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const ConnectionSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    provider: z.enum(PROVIDERS),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    webhookUrl: z.string().describe('Path the provider posts webhooks to, relative to the API root'),
    createdAt: z.iso.datetime(),
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
}
