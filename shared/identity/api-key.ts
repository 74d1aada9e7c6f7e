import * as z from 'zod';
import { RoleRefSchema } from './role-ref';

/** An API key as stored and listed: never the key itself, only how to recognise it. */
export const ApiKeySchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    name: z.string(),
    role: RoleRefSchema,
    display: z.string().describe('Prefix and last four characters of the key'),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    ownerUserId: z
      .string()
      .nullable()
      .default(null)
      .describe(
        "The user a personal key acts for (it stops working while they are deactivated); null for the org's keys",
      ),
    expiresAt: z.iso.datetime().nullable(),
    status: z.enum(['active', 'revoked']).default('active'),
    revokedAt: z.iso.datetime().optional(),
    rotatedTo: z.string().optional().describe('The key that replaced this one'),
    lastUsedAt: z.iso.datetime().optional().describe('Updated at most once a minute'),
    lastUsedIp: z.string().optional(),
  })
  .meta({ id: 'ApiKey' });

export type ApiKey = z.infer<typeof ApiKeySchema>;

/** A platform-admin key as stored and listed: it belongs to no org, and (like an org key) expires and can be revoked. */
export const PlatformApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    display: z.string().describe('Prefix and last four characters of the key'),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    expiresAt: z.iso.datetime().nullable().describe('null only for a key issued by the local bootstrap'),
    status: z.enum(['active', 'revoked']),
    revokedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'PlatformApiKey' });

export type PlatformApiKey = z.infer<typeof PlatformApiKeySchema>;

/** What the authorizer finds by a key's hash. Platform-admin keys belong to no org. */
export type ApiKeyGrant =
  | {
      readonly scope: 'platform';
      readonly keyId: string;
      readonly name: string;
      /** Absent on keys issued before platform keys expired. */
      readonly expiresAt?: string | null;
    }
  | {
      readonly scope: 'org';
      readonly keyId: string;
      readonly name: string;
      readonly orgId: string;
      readonly role: ApiKey['role'];
      readonly expiresAt: string | null;
      readonly ownerUserId?: string | null;
    };
