import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { makeGetConnection } from '../../shared/connectors/manage-connections';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import type { ConnectionStore } from '../../shared/ports/stores';

export const makeHandler = (connections: ConnectionStore) => {
  const get = makeGetConnection({ connections });
  return byOperation({
    listConnections: apiHandler({
      operation: 'listConnections',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await connections.list(path.orgId, query)),
    }),
    getConnection: apiHandler({
      operation: 'getConnection',
      handle: async ({ path }) => json(200, await get(path.orgId, path.connectionId)),
    }),
  });
};

export const handler = makeHandler(adapters.connectionStore());
