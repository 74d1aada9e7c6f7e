import * as z from 'zod';
import { RoleRefSchema } from '../identity/role-ref';

/** A person in an organisation. A person in several orgs has one user per org, each with its own role. */
export const UserSchema = z
  .object({
    id: z.string().describe("The user's id; tokens for this user carry it as their subject"),
    orgId: z.string(),
    email: z.string(),
    name: z.string(),
    role: RoleRefSchema,
    status: z.enum(['active', 'deactivated']),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    updatedAt: z.iso.datetime().optional(),
    totpEnabledAt: z.iso
      .datetime()
      .optional()
      .describe(
        'When the user enrolled an authenticator app (TOTP) as their second factor; absent when they have none',
      ),
  })
  .meta({ id: 'User' });

export type User = z.infer<typeof UserSchema>;
