import * as adapters from '../../shared/adapters/wiring';
import { AuditQuery } from '../../shared/api/schemas';
import { makeListAuditEvents } from '../../shared/audit/list-audit-events';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';

export const makeHandler = (listAuditEvents: ReturnType<typeof makeListAuditEvents>) =>
  apiHandler({
    operation: 'listAuditEvents',
    query: AuditQuery,
    handle: async ({ path, query, principal, request }) => {
      const { limit, cursor, ...filter } = query;
      return json(200, await listAuditEvents(path.orgId, filter, { limit, cursor }, principal, request));
    },
  });

export const handler = makeHandler(makeListAuditEvents({ audit: adapters.auditStore(), clock: systemClock }));
