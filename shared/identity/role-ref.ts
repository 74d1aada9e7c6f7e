import * as z from 'zod';
import { CUSTOM_ROLE_ID, ROLES } from './permissions';

/** A role as given and stored: a built-in role's name, or the id of one of the org's custom roles. */
export const RoleRefSchema = z
  .union([z.enum(ROLES), z.string().regex(CUSTOM_ROLE_ID, 'a built-in role or a custom role id (role_…)')])
  .describe(`One of ${ROLES.join(', ')}, or the id of one of the organisation's custom roles`);
