import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeReadSync } from '../../shared/sync/manage-sync';

/** Serves links and connection sync status. */
export const makeHandler = (read: ReturnType<typeof makeReadSync>) =>
  byOperation({
    listLinks: apiHandler({
      operation: 'listLinks',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await read.listLinks(path.orgId, query)),
    }),
    getLink: apiHandler({
      operation: 'getLink',
      handle: async ({ path }) => json(200, await read.getLink(path.orgId, path.linkId)),
    }),
    getConnectionStatus: apiHandler({
      operation: 'getConnectionStatus',
      handle: async ({ path }) => json(200, await read.connectionStatus(path.orgId, path.connectionId)),
    }),
  });

export const handler = makeHandler(
  makeReadSync({
    store: adapters.syncStore(),
    connections: adapters.connectionStore(),
    deadLetters: adapters.deadLetterStore(),
    clock: systemClock,
  }),
);
