import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { AuditStore, OrgPurger, OrgStore } from '../ports/stores';
import type { Org } from './org';

/** Days a deleted org can still be restored before its data is purged, by default and at most. */
export const DEFAULT_GRACE_DAYS = 30;
export const MAX_GRACE_DAYS = 90;

async function changeOrg(
  deps: { orgs: OrgStore; clock: Clock },
  orgId: string,
  change: (org: Org, at: Date) => Org,
  audit: (before: Org, after: Org, at: Date) => AuditRecord,
): Promise<Org> {
  const current = await deps.orgs.getVersioned(orgId);
  if (!current) throw new NotFoundError(`Organisation ${orgId} does not exist`);
  const at = deps.clock.now();
  const next = { ...change(current.value, at), updatedAt: at.toISOString() };
  await deps.orgs.save(next, current.version, audit(current.value, next, at), current.value);
  return next;
}

/** Deletes an org: access stops at once, and its data is purged once the grace period ends. */
export function makeDeleteOrg(deps: { orgs: OrgStore; clock: Clock }) {
  return (orgId: string, graceDays: number, principal: Principal, request: RequestContext) =>
    changeOrg(
      deps,
      orgId,
      (org, at) => {
        if (org.status === 'deleted') throw new ConflictError(`Organisation ${orgId} is already deleted`);
        const purgeAfter = new Date(at.getTime() + graceDays * 86_400_000).toISOString();
        return {
          ...org,
          status: 'deleted',
          deletedAt: at.toISOString(),
          statusChangedAt: at.toISOString(),
          purgeAfter,
        };
      },
      (before, after, at) =>
        auditChange({
          action: 'org.deleted',
          principal,
          orgId,
          targets: [{ type: 'org', id: orgId }],
          request,
          at,
          before: { status: before.status },
          after: { status: after.status, purgeAfter: after.purgeAfter },
        }),
    );
}

/** Restores a deleted org before it is purged; it comes back active. */
export function makeRestoreOrg(deps: { orgs: OrgStore; clock: Clock }) {
  return (orgId: string, principal: Principal, request: RequestContext) =>
    changeOrg(
      deps,
      orgId,
      (org, at) => {
        if (org.status !== 'deleted') throw new ConflictError(`Organisation ${orgId} is not deleted`);
        // Once the purge is due it may have begun: a half-purged org is not brought back.
        if (org.purgeAfter && Date.parse(org.purgeAfter) <= at.getTime())
          throw new ConflictError(`Organisation ${orgId} is being purged; it can no longer be restored`);
        const { deletedAt: _deletedAt, purgeAfter: _purgeAfter, ...rest } = org;
        return { ...rest, status: 'active', statusChangedAt: at.toISOString() };
      },
      (_before, _after, at) =>
        auditChange({
          action: 'org.restored',
          principal,
          orgId,
          targets: [{ type: 'org', id: orgId }],
          request,
          at,
          before: { status: 'deleted' },
          after: { status: 'active' },
        }),
    );
}

const SYSTEM: Principal = { kind: 'platform_admin', type: 'api_key', id: 'system:purge', name: 'purge job' };

/**
 * Purges every org whose grace period has ended, and records what it removed in the org's audit
 * trail (which outlives the org for its retention period). Returns one report per org.
 */
export function makePurgeDeletedOrgs(deps: {
  orgs: OrgStore;
  purger: OrgPurger;
  audit: AuditStore;
  clock: Clock;
}) {
  return async (): Promise<{ orgId: string; removed: Record<string, number> }[]> => {
    const now = deps.clock.now();
    const reports: { orgId: string; removed: Record<string, number> }[] = [];
    for (const due of await deps.orgs.duePurges(now, 25)) {
      const org = await deps.orgs.get(due.orgId);
      // Restored meanwhile (the schedule entry went with it), or purged by an earlier, interrupted run.
      if (org && org.status !== 'deleted') continue;
      const removed = await deps.purger.purge(due.orgId);
      await deps.audit.append({
        ...auditChange({
          action: 'org.purged',
          principal: SYSTEM,
          orgId: due.orgId,
          targets: [{ type: 'org', id: due.orgId }],
          request: { requestId: `purge:${now.toISOString()}`, ip: '', userAgent: 'purge-deleted-orgs' },
          at: deps.clock.now(),
          after: { removed },
        }),
        actor: { type: 'system', id: 'purge-deleted-orgs', name: 'purge job' },
      });
      await deps.orgs.clearPurge(due.orgId, due.purgeAfter);
      reports.push({ orgId: due.orgId, removed });
    }
    return reports;
  };
}
