/** Every permission a route can require. `platform:*` ones are never granted by an org role. */
export const PERMISSIONS = [
  'platform:orgs:create',
  'org:read',
  'api_keys:create',
  'connections:create',
  'events:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const orgPermissions = PERMISSIONS.filter((p) => !p.startsWith('platform:'));

/** The built-in roles. Roles are ordered: each holds a superset of the ones after it. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: orgPermissions,
  admin: orgPermissions,
  member: ['org:read', 'events:read'],
  viewer: ['org:read', 'events:read'],
};

/** True when `role` holds every permission `other` holds (a key may not outrank its creator). */
export function roleCovers(role: Role, other: Role): boolean {
  return ROLES.indexOf(role) <= ROLES.indexOf(other);
}
