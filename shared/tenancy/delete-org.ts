import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { OrgPurger, OrgStore } from '../ports/stores';
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
        // Once its purge has begun the org cannot come back half empty: the store refuses that.
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

/** Counts of two runs of one purge, added up by kind. */
function plus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [kind, n] of Object.entries(b)) sum[kind] = (sum[kind] ?? 0) + n;
  return sum;
}

/**
 * Purges the orgs whose grace period has ended, and records what it removed, by kind, in the
 * org's audit trail (which outlives the org for its retention period), once the purge is done.
 * Bounded: it stops when `shouldStop` says so (the function's time is running out), notes how far
 * it got, and the next run continues. Returns one report per org it worked on.
 */
export function makePurgeDeletedOrgs(deps: { orgs: OrgStore; purger: OrgPurger; clock: Clock }) {
  return async (
    shouldStop: () => boolean = () => false,
  ): Promise<{ orgId: string; removed: Record<string, number>; done: boolean }[]> => {
    const now = deps.clock.now();
    const reports: { orgId: string; removed: Record<string, number>; done: boolean }[] = [];
    for (const due of await deps.orgs.duePurges(now, 25)) {
      if (shouldStop()) break;
      const org = await deps.orgs.get(due.orgId);
      // Restored meanwhile (the schedule entry went with it). Gone: an earlier run removed the org item.
      if (org && org.status !== 'deleted') continue;
      // Marked begun before anything goes, so the org can no longer be restored half empty; a
      // restore that came first took it off the schedule.
      if (!due.removed && !(await deps.orgs.recordPurgeProgress(due.orgId, due.purgeAfter, {}))) continue;
      const run = await deps.purger.purge(due.orgId, shouldStop);
      const removed = plus(due.removed ?? {}, run.removed);
      reports.push({ orgId: due.orgId, removed, done: run.done });
      if (!run.done) {
        await deps.orgs.recordPurgeProgress(due.orgId, due.purgeAfter, removed);
        break;
      }
      await deps.orgs.clearPurge(due.orgId, due.purgeAfter, {
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
    }
    return reports;
  };
}
