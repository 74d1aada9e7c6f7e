import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { makeListAuditEvents } from '../../shared/audit/list-audit-events';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';

/** A user's activity is their part of the audit trail: the same query, filtered by actor. */
export const makeHandler = (listAuditEvents: ReturnType<typeof makeListAuditEvents>) =>
  apiHandler({
    operation: 'listUserActivity',
    query: ListQuery,
    handle: async ({ path, query, principal, request }) =>
      json(200, await listAuditEvents(path.orgId, { actorId: path.userId }, query, principal, request)),
  });

export const handler = makeHandler(makeListAuditEvents({ audit: adapters.auditStore(), clock: systemClock }));
