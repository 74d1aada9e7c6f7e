import type { Permission, Role } from './permissions';
import { ROLE_PERMISSIONS } from './permissions';

/** Who is calling, as resolved from a verified credential. */
export type Principal =
  | {
      readonly kind: 'platform_admin';
      readonly type: 'api_key' | 'user';
      readonly id: string;
      readonly name: string;
    }
  | {
      readonly kind: 'org_member';
      readonly type: 'api_key' | 'user';
      readonly id: string;
      readonly name: string;
      readonly orgId: string;
      readonly role: Role;
    };

/** Whether the principal holds `permission` within `orgId` (or platform-wide when `orgId` is null). */
export function isAllowed(principal: Principal, permission: Permission, orgId: string | null): boolean {
  if (principal.kind === 'platform_admin') return true;
  if (permission.startsWith('platform:')) return false;
  if (orgId !== null && orgId !== principal.orgId) return false;
  return ROLE_PERMISSIONS[principal.role].includes(permission);
}

/** The flat string map an API Gateway Lambda authorizer may pass to the integration. */
export type AuthorizerContext = Record<string, string>;

export function principalToContext(principal: Principal): AuthorizerContext {
  return principal.kind === 'platform_admin'
    ? { kind: principal.kind, type: principal.type, id: principal.id, name: principal.name }
    : {
        kind: principal.kind,
        type: principal.type,
        id: principal.id,
        name: principal.name,
        orgId: principal.orgId,
        role: principal.role,
      };
}

export function principalFromContext(context: Record<string, unknown> | undefined): Principal | null {
  if (!context) return null;
  const { kind, type, id, name, orgId, role } = context;
  if (typeof id !== 'string' || typeof name !== 'string' || (type !== 'api_key' && type !== 'user')) {
    return null;
  }
  if (kind === 'platform_admin') return { kind, type, id, name };
  if (kind === 'org_member' && typeof orgId === 'string' && typeof role === 'string') {
    return { kind, type, id, name, orgId, role: role as Role };
  }
  return null;
}
