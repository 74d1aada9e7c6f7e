/** Every permission a route can require. `platform:*` ones are never granted by an org role. */
export const PERMISSIONS = [
  'platform:orgs:create',
  'platform:orgs:list',
  'platform:orgs:suspend',
  'platform:api_keys:manage',
  // The deployment's chat apps (client ids and secrets, signing secrets) for every org.
  'platform:chat_apps:manage',
  'org:read',
  'org:update',
  'org:delete',
  'api_keys:read',
  'api_keys:create',
  'api_keys:revoke',
  'connections:create',
  'connections:read',
  'connections:manage',
  'dead_letters:manage',
  'sync:read',
  'sync:manage',
  // Creating, assigning and moving tracker items through the hub (the chat bot's commands).
  'work_items:manage',
  'users:read',
  'users:manage',
  'teams:read',
  'teams:manage',
  'events:read',
  // Raw deliveries can hold more than their canonical events (whole provider payloads): owner and admin only.
  'events:read_raw',
  'audit:read',
  'usage:read',
  'roles:manage',
  'policies:read',
  'policies:manage',
  // Notification rules, outbound webhook endpoints and their deliveries, mail suppressions.
  'notifications:read',
  'notifications:manage',
  // Agent approvals (issue 13): reading them, and asking people to decide (what an agent's key needs).
  'approvals:read',
  'approvals:request',
  // Enterprise sign-in: the org's email domains and SSO connections (reading them, and changing them).
  'sso:read',
  'sso:manage',
  // Listing and revoking another user's sessions (one's own needs only org:read): owner and admin.
  'sessions:manage',
  // SCIM provisioning (issue 14): issuing and revoking the org's SCIM tokens (owner and admin).
  'scim_tokens:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'member', 'viewer', 'auditor', 'billing'] as const;
export type Role = (typeof ROLES)[number];

const orgPermissions = PERMISSIONS.filter((p) => !p.startsWith('platform:'));

/**
 * The built-in roles and what each may do:
 * - owner: everything within the org; admin: the same but deleting the org;
 * - member: read the org, its event feed, connections, sync and notifications, work on tracker
 *   items (create, assign, move), and ask people to decide (agent approvals: an agent's API key
 *   is a member's);
 * - viewer: read the org and its event feed;
 * - auditor: read the org and its audit trail;
 * - billing: read the org and its usage against the plan.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: orgPermissions,
  admin: orgPermissions.filter((p) => p !== 'org:delete'),
  member: [
    'org:read',
    'events:read',
    'teams:read',
    'connections:read',
    'sync:read',
    'notifications:read',
    'approvals:read',
    'approvals:request',
    'work_items:manage',
  ],
  viewer: ['org:read', 'events:read'],
  auditor: ['org:read', 'audit:read'],
  billing: ['org:read', 'usage:read'],
};

/** A custom role's id: `role_` and a ULID. */
export const CUSTOM_ROLE_ID = /^role_[0-9A-HJKMNP-TV-Z]{26}$/;

/** A role a principal may hold: a built-in role's name, or the id of one of its org's custom roles. */
export type RoleRef = string;

export const isBuiltInRole = (role: string): role is Role => (ROLES as readonly string[]).includes(role);
export const isRoleRef = (role: unknown): role is RoleRef =>
  typeof role === 'string' && (isBuiltInRole(role) || CUSTOM_ROLE_ID.test(role));

/** Custom roles as the checks below need them: an id and the permissions it grants. */
export interface RoleDefinitions {
  readonly roles: readonly { readonly id: string; readonly permissions: readonly Permission[] }[];
}

const NO_CUSTOM_ROLES: RoleDefinitions = { roles: [] };

/** What a role grants: a built-in role's permissions, a custom role's, or nothing for an unknown (deleted) one. */
export function permissionsOf(
  role: RoleRef,
  custom: RoleDefinitions = NO_CUSTOM_ROLES,
): readonly Permission[] {
  if (isBuiltInRole(role)) return ROLE_PERMISSIONS[role];
  return custom.roles.find((r) => r.id === role)?.permissions ?? [];
}

/** True when `role` holds every permission `other` holds: a key may not outrank its creator. */
export function roleCovers(
  role: RoleRef,
  other: RoleRef,
  custom: RoleDefinitions = NO_CUSTOM_ROLES,
): boolean {
  const held = new Set(permissionsOf(role, custom));
  return permissionsOf(other, custom).every((p) => held.has(p));
}
