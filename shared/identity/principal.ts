import type { Permission, RoleRef } from './permissions';
import { isRoleRef, permissionsOf } from './permissions';
import { SIGN_IN_METHOD } from './session';

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
      /** A built-in role, or the id of one of the org's custom roles. */
      readonly role: RoleRef;
      /** Whether the credential proves a second factor (a JWT whose `amr` says so). */
      readonly mfa?: boolean;
      /** For a user token: when the user signed in (the token's `auth_time`, epoch seconds). */
      readonly authTime?: number;
      /** For a user token: how the user signed in (`signInMethodOf` its claims), shown in their sessions. */
      readonly signInMethod?: string;
      /** For a user: the hub user's email, set by the gate from the hub's record (never from a claim). */
      readonly email?: string;
      /** For a personal API key: the user it acts for. */
      readonly ownerUserId?: string;
    };

/**
 * Whether the principal's built-in role holds `permission` within `orgId` (or platform-wide when
 * `orgId` is null). Custom roles and org policies are decided by `evaluateAccess`, with the org.
 */
export function isAllowed(principal: Principal, permission: Permission, orgId: string | null): boolean {
  if (principal.kind === 'platform_admin') return true;
  if (permission.startsWith('platform:')) return false;
  if (orgId !== null && orgId !== principal.orgId) return false;
  return permissionsOf(principal.role).includes(permission);
}

/** Whether the principal may act in `orgId` at all: platform admins anywhere, members in their own org. */
export function isInScope(principal: Principal, permission: Permission, orgId: string | null): boolean {
  if (principal.kind === 'platform_admin') return true;
  if (permission.startsWith('platform:')) return false;
  return orgId === null || orgId === principal.orgId;
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
        mfa: principal.mfa === true ? 'true' : 'false',
        ...(principal.authTime !== undefined ? { authTime: String(principal.authTime) } : {}),
        ...(principal.signInMethod !== undefined ? { signInMethod: principal.signInMethod } : {}),
        ...(principal.ownerUserId ? { ownerUserId: principal.ownerUserId } : {}),
      };
}

export function principalFromContext(context: Record<string, unknown> | undefined): Principal | null {
  if (!context) return null;
  const { kind, type, id, name, orgId, role, mfa, authTime, signInMethod, ownerUserId } = context;
  if (typeof id !== 'string' || typeof name !== 'string' || (type !== 'api_key' && type !== 'user')) {
    return null;
  }
  if (kind === 'platform_admin') return { kind, type, id, name };
  if (kind === 'org_member' && typeof orgId === 'string' && isRoleRef(role)) {
    return {
      kind,
      type,
      id,
      name,
      orgId,
      role,
      mfa: mfa === 'true',
      ...(typeof authTime === 'string' && /^\d{1,12}$/.test(authTime) ? { authTime: Number(authTime) } : {}),
      ...(typeof signInMethod === 'string' && SIGN_IN_METHOD.test(signInMethod) ? { signInMethod } : {}),
      ...(typeof ownerUserId === 'string' ? { ownerUserId } : {}),
    };
  }
  return null;
}
