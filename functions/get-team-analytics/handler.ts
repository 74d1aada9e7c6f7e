import * as adapters from '../../shared/adapters/wiring';
import { TeamAnalyticsQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeTeamAnalytics } from '../../shared/tenancy/manage-teams';

export const makeHandler = (analytics: ReturnType<typeof makeTeamAnalytics>) =>
  apiHandler({
    operation: 'getTeamAnalytics',
    query: TeamAnalyticsQuery,
    handle: async ({ path, query }) => json(200, await analytics(path.orgId, path.teamId, query.days)),
  });

export const handler = makeHandler(
  makeTeamAnalytics({ teams: adapters.teamStore(), audit: adapters.auditStore(), clock: systemClock }),
);
