import * as z from 'zod';

/** An org SCIM token as stored and listed: never the token itself, only how to recognise it. */
export const ScimTokenSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    name: z.string(),
    display: z.string().describe('Prefix and last four characters of the token'),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    status: z.enum(['active', 'revoked']),
    revokedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'ScimToken' });

export type ScimToken = z.infer<typeof ScimTokenSchema>;

/** What the SCIM service finds by a token's hash: the org it provisions, and the token (for the trail). */
export interface ScimTokenGrant {
  readonly scope: 'scim';
  readonly tokenId: string;
  readonly name: string;
  readonly orgId: string;
}

export const CreateScimTokenRequest = z
  .object({ name: z.string().trim().min(1).max(100).describe('What the token is for, e.g. "Okta"') })
  .strict()
  .meta({ id: 'CreateScimTokenRequest' });

export const ScimTokenCreated = ScimTokenSchema.extend({
  token: z.string().describe('The SCIM token (`hubscim_…`), shown this once: give it to the IdP'),
}).meta({ id: 'ScimTokenCreated' });

export const ScimTokenPage = z
  .object({ items: z.array(ScimTokenSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ScimTokenPage' });

/** The most active SCIM tokens an org may hold (one per IdP, and one being rotated in). */
export const MAX_SCIM_TOKENS_PER_ORG = 10;
