import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { AccessDirectory } from '../authz/access-directory';
import type { AccessFactsLoader } from '../authz/access-facts';
import type { AccessRequest } from '../authz/evaluate-access';
import { evaluateAccess } from '../authz/evaluate-access';
import { ForbiddenError } from '../errors';
import type { Permission } from '../identity/permissions';
import type { Principal } from '../identity/principal';
import { isInScope } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { AuditStore, UserStore } from '../ports/stores';
import type { TenantDirectory } from '../tenancy/tenant-directory';

export type OrgPrincipal = Extract<Principal, { kind: 'org_member' }>;

/** What acting as a hub user needs: the same reads and decision as the API's gate. */
export interface ActAsDeps {
  readonly tenants: Pick<TenantDirectory, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly access: Pick<AccessDirectory, 'get'>;
  readonly facts: Pick<AccessFactsLoader, 'load'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
}

/**
 * Chat requests reach the hub from the platform's servers, not from the person's network: Cedar's
 * `context.ip` gets this unspecified address (no allow-listed network contains it).
 */
export const CHAT_CONTEXT_IP = '0.0.0.0';

/** The request context of chat work: the platform is the channel of its audit records. */
export const chatRequest = (requestId: string, provider: string): RequestContext => ({
  requestId,
  ip: '',
  userAgent: `chat:${provider}`,
  channel: provider,
});

/**
 * The hub user a chat request runs as, read from the hub's record on every request (as the gate
 * does): an org that is not active, or a user who is not active, is refused.
 */
export async function actAs(deps: ActAsDeps, orgId: string, userId: string): Promise<OrgPrincipal> {
  const [org, user] = await Promise.all([deps.tenants.get(orgId), deps.users.get(orgId, userId)]);
  if (org?.status !== 'active') throw new ForbiddenError(`The organisation is ${org?.status ?? 'gone'}`);
  if (!user) throw new ForbiddenError('The linked hub user no longer exists');
  if (user.status !== 'active') throw new ForbiddenError('The linked hub user is deactivated');
  return {
    kind: 'org_member',
    type: 'user',
    id: user.id,
    name: user.name,
    email: user.email,
    orgId,
    role: user.role,
  };
}

/**
 * Whether the user may use `permission` for `operation`, decided exactly as the API decides it
 * (`evaluateAccess`: the role, the org's custom roles, its Cedar policies). A refusal is audited in
 * the org's trail, with the platform as the channel, and thrown as ForbiddenError.
 */
export async function authorize(
  deps: ActAsDeps,
  principal: OrgPrincipal,
  check: {
    readonly permission: Permission;
    readonly operation: string;
    readonly path?: Readonly<Record<string, string>>;
  },
  request: RequestContext,
): Promise<void> {
  const path = { orgId: principal.orgId, ...check.path };
  const at = deps.clock.now();
  const accessRequest: AccessRequest = {
    principal,
    permission: check.permission,
    operation: check.operation,
    path,
    ip: CHAT_CONTEXT_IP,
    at,
  };
  const decision = isInScope(principal, check.permission, principal.orgId)
    ? await (async () => {
        const access = await deps.access.get(principal.orgId);
        const facts = access.policies.length > 0 ? await deps.facts.load(accessRequest) : null;
        return evaluateAccess(accessRequest, access, facts);
      })()
    : { allowed: false, reason: `The caller lacks ${check.permission} here` };
  if (decision.allowed) return;
  await deps.audit.append(
    auditChange({
      action: `bot.${check.operation}`,
      principal,
      orgId: principal.orgId,
      targets: [{ type: 'operation', id: check.operation }],
      request,
      at,
      outcome: 'denied',
      after: { reason: decision.reason },
    }),
  );
  throw new ForbiddenError(decision.reason);
}
