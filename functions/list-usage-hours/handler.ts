import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { UsageStore } from '../../shared/ports/stores';

export const makeHandler = (usage: UsageStore) =>
  apiHandler({
    operation: 'listUsageHours',
    query: ListQuery,
    handle: async ({ path, query }) => json(200, await usage.listHours(path.orgId, query)),
  });

export const handler = makeHandler(adapters.usageStore());
