import * as z from 'zod';
import type { Permission } from '../identity/permissions';
import { PERMISSIONS } from '../identity/permissions';

/** The permissions an org may put into its roles: every one but the platform's. */
export const ORG_PERMISSIONS = PERMISSIONS.filter((p) => !p.startsWith('platform:')) as unknown as readonly [
  Permission,
  ...Permission[],
];

/** An org's own role: a named set of the org permissions. Principals hold it by its id. */
export const CustomRoleSchema = z
  .object({
    id: z.string().describe('Give this id as the `role` of a user, invitation or API key'),
    name: z.string(),
    description: z.string(),
    permissions: z.array(z.enum(ORG_PERMISSIONS)),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'CustomRole' });

export type CustomRole = z.infer<typeof CustomRoleSchema>;

/** An attribute-based access policy of an org, in Cedar, validated against the hub's schema on write. */
export const AccessPolicySchema = z
  .object({
    id: z.string().describe('Chosen by the org; letters, digits, `-` and `_`'),
    description: z.string(),
    statement: z.string().describe('One Cedar `permit` or `forbid` policy'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'AccessPolicy' });

export type AccessPolicy = z.infer<typeof AccessPolicySchema>;

/** Everything an org adds to the built-in access rules: its custom roles and its policies. */
export interface OrgAccess {
  readonly roles: readonly CustomRole[];
  readonly policies: readonly AccessPolicy[];
}

export const EMPTY_ACCESS: OrgAccess = { roles: [], policies: [] };

/** Bounds that keep an org's access item, and every request's evaluation, small. */
export const MAX_CUSTOM_ROLES = 50;
export const MAX_POLICIES = 50;
export const MAX_POLICY_CHARS = 10_000;
