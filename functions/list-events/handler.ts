import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { EventStore } from '../../shared/ports/stores';

export const makeHandler = (events: EventStore) =>
  apiHandler({
    operation: 'listEvents',
    query: ListQuery,
    handle: async ({ path, query }) => json(200, await events.list(path.orgId, query)),
  });

export const handler = makeHandler(adapters.eventStore());
