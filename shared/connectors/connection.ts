import * as z from 'zod';
import type { PROVIDER_MODULES } from '../providers';
import type { CredentialsOf } from './provider-catalog';

/**
 * What a connection says of its credentials: their kind, their non-secret fields (those its kind's
 * schema does not mark secret) and when they were set. The API document lists each kind's.
 */
export const CredentialSummarySchema = z
  .looseObject({ kind: z.string(), setAt: z.iso.datetime() })
  .meta({ id: 'CredentialSummary' });
export type CredentialSummary = z.infer<typeof CredentialSummarySchema>;

/** A provider's id: one of the modules' (`shared/providers.ts`), checked where input enters. */
export type Provider = string;

/** A provider's id; the API document lists the modules' (`openApiDocument`). */
export const ProviderIdSchema = z.string().min(1).max(40).meta({ id: 'ProviderId' });

export const ConnectionConfigSchema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .describe(
        "The provider's API base URL (what each provider takes: see CreateConnectionRequest). https, and public addresses only unless the operator allowed the range (plain http to loopback only in the local runtime). Changing it clears the connection's credentials and marks it needs_attention: set them again for the new server",
      ),
  })
  .meta({ id: 'ConnectionConfig' });

export const ConnectionSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    provider: ProviderIdSchema,
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
    credentials: CredentialSummarySchema.nullable()
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
  /**
   * How the hub appears on the connection (`Identity.actor`), as the sync worker learnt it with the
   * current credentials; cleared whenever the route or the credentials change. Lets the endpoint
   * recognise the hub's own writes coming back without asking anyone.
   */
  readonly hubActor?: string | null;
}

/**
 * Credentials as given, one of the kinds the providers' modules declare (`shared/providers.ts`); the
 * secret parts are encrypted at rest and never returned. A type only: no provider is bundled here.
 */
export type ConnectionCredentials = CredentialsOf<typeof PROVIDER_MODULES>;

/**
 * Credentials as stored: they were checked against their kind's schema when they were set, and
 * are read back as they were written (encrypted for the connection and its server).
 */
export const ConnectionCredentialsSchema = z
  .looseObject({ kind: z.string().min(1) })
  .transform((stored) => stored as unknown as ConnectionCredentials);
