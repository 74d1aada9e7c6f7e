/** Every permission a route can require. `platform:*` ones are never granted by an org role. */
export const PERMISSIONS = [
  'platform:orgs:create',
  'platform:orgs:list',
  'platform:orgs:suspend',
  'org:read',
  'org:update',
  'org:delete',
  'api_keys:read',
  'api_keys:create',
  'api_keys:revoke',
  'connections:create',
  'users:read',
  'users:manage',
  'teams:read',
  'teams:manage',
  'events:read',
  'audit:read',
  'usage:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'member', 'viewer', 'auditor', 'billing'] as const;
export type Role = (typeof ROLES)[number];

const orgPermissions = PERMISSIONS.filter((p) => !p.startsWith('platform:'));

/**
 * The built-in roles and what each may do:
 * - owner: everything within the org; admin: the same but deleting the org;
 * - member, viewer: read the org and its event feed;
 * - auditor: read the org and its audit trail;
 * - billing: read the org and its usage against the plan.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: orgPermissions,
  admin: orgPermissions.filter((p) => p !== 'org:delete'),
  member: ['org:read', 'events:read', 'teams:read'],
  viewer: ['org:read', 'events:read'],
  auditor: ['org:read', 'audit:read'],
  billing: ['org:read', 'usage:read'],
};

/** True when `role` holds every permission `other` holds: a key may not outrank its creator. */
export function roleCovers(role: Role, other: Role): boolean {
  const held = new Set(ROLE_PERMISSIONS[role]);
  return ROLE_PERMISSIONS[other].every((p) => held.has(p));
}
