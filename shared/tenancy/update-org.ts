import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { OrgStore } from '../ports/stores';
import type { Org, OrgSettings } from './org';
import type { PlanName } from './plans';

export interface UpdateOrgInput {
  readonly name?: string | undefined;
  readonly settings?: Partial<OrgSettings> | undefined;
  readonly plan?: PlanName | undefined;
}

/** The fields whose values differ between two versions of an org, for the audit record. */
function changes(before: Org, after: Org) {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  if (before.name !== after.name) {
    b.name = before.name;
    a.name = after.name;
  }
  for (const key of ['status', 'plan'] as const) {
    if (before[key] !== after[key]) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  for (const key of Object.keys(after.settings) as (keyof OrgSettings)[]) {
    if (JSON.stringify(before.settings[key]) !== JSON.stringify(after.settings[key])) {
      b[`settings.${key}`] = before.settings[key];
      a[`settings.${key}`] = after.settings[key];
    }
  }
  return { before: b, after: a };
}

/** Reads the org, applies `change`, and saves it if nobody changed it meanwhile, with its audit record. */
function makeOrgChange(deps: { orgs: OrgStore; clock: Clock }) {
  return async (
    orgId: string,
    action: string,
    change: (org: Org) => Org,
    principal: Principal,
    request: RequestContext,
  ): Promise<Org> => {
    const current = await deps.orgs.getVersioned(orgId);
    if (!current) throw new NotFoundError(`Organisation ${orgId} does not exist`);
    const at = deps.clock.now();
    const next = { ...change(current.value), updatedAt: at.toISOString() };
    const diff = changes(current.value, next);
    if (Object.keys(diff.after).length === 0) return current.value;
    const audit = auditChange({
      action,
      principal,
      orgId,
      targets: [{ type: 'org', id: orgId }],
      request,
      at,
      ...diff,
    });
    await deps.orgs.save(next, current.version, audit);
    return next;
  };
}

/** Updates an org's name and settings (a partial settings object changes only the fields it names). */
export function makeUpdateOrg(deps: { orgs: OrgStore; clock: Clock }) {
  const orgChange = makeOrgChange(deps);
  return (orgId: string, input: UpdateOrgInput, principal: Principal, request: RequestContext) => {
    // An org's plan sets what it may consume: only the platform changes it.
    if (input.plan !== undefined && principal.kind !== 'platform_admin') {
      throw new ForbiddenError("Only a platform admin can change an organisation's plan");
    }
    return orgChange(
      orgId,
      'org.updated',
      (org) => ({
        ...org,
        name: input.name ?? org.name,
        plan: input.plan ?? org.plan,
        settings: { ...org.settings, ...input.settings },
      }),
      principal,
      request,
    );
  };
}

/** Suspends or reactivates an org; a suspended org's keys and tokens stop working within the tenant cache's bound. */
export function makeSetOrgStatus(deps: { orgs: OrgStore; clock: Clock }) {
  const orgChange = makeOrgChange(deps);
  return (orgId: string, status: Org['status'], principal: Principal, request: RequestContext) =>
    orgChange(
      orgId,
      status === 'suspended' ? 'org.suspended' : 'org.reactivated',
      (org) => {
        if (org.status === status) throw new ConflictError(`Organisation ${orgId} is already ${status}`);
        // Workers audit the work they skip once per suspension: this time says which one.
        return { ...org, status, statusChangedAt: deps.clock.now().toISOString() };
      },
      principal,
      request,
    );
}
