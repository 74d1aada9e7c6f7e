import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { AuditStore, Page, PageRequest } from '../ports/stores';
import type { AuditFilter } from './audit-filter';
import type { AuditRecord, RequestContext } from './audit-record';
import { auditChange } from './audit-record';

/** Reads an org's audit trail; the read itself is recorded first, so even a failed read leaves a trace. */
export function makeListAuditEvents(deps: { audit: AuditStore; clock: Clock }) {
  return async (
    orgId: string,
    filter: AuditFilter,
    page: PageRequest,
    principal: Principal,
    request: RequestContext,
  ): Promise<Page<AuditRecord>> => {
    await deps.audit.append(
      auditChange({
        action: 'audit.read',
        principal,
        orgId,
        targets: [{ type: 'audit_trail', id: orgId }],
        request,
        at: deps.clock.now(),
        after: { filter: { ...filter }, limit: page.limit },
      }),
    );
    return deps.audit.list(orgId, filter, page);
  };
}
