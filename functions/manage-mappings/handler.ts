import * as adapters from '../../shared/adapters/wiring';
import { MappingInputSchema } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeManageMappings } from '../../shared/sync/manage-sync';
import { makeScanStarter } from '../../shared/sync/scan';

/** Serves the sync-mapping routes. */
export const makeHandler = (mappings: ReturnType<typeof makeManageMappings>) =>
  byOperation({
    listMappings: apiHandler({
      operation: 'listMappings',
      handle: async ({ path }) => json(200, await mappings.list(path.orgId)),
    }),
    createMapping: apiHandler({
      operation: 'createMapping',
      body: MappingInputSchema,
      handle: async ({ body, path, principal, request }) =>
        json(201, await mappings.create(path.orgId, body, principal, request)),
    }),
    getMapping: apiHandler({
      operation: 'getMapping',
      handle: async ({ path }) => json(200, await mappings.get(path.orgId, path.mappingId)),
    }),
    replaceMapping: apiHandler({
      operation: 'replaceMapping',
      body: MappingInputSchema,
      handle: async ({ body, path, principal, request }) =>
        json(200, await mappings.replace(path.orgId, path.mappingId, body, principal, request)),
    }),
    startBackfill: apiHandler({
      operation: 'startBackfill',
      handle: async ({ path, principal, request }) =>
        json(202, await mappings.startBackfill(path.orgId, path.mappingId, principal, request)),
    }),
    getBackfill: apiHandler({
      operation: 'getBackfill',
      handle: async ({ path }) => json(200, await mappings.getBackfill(path.orgId, path.mappingId)),
    }),
    deleteMapping: apiHandler({
      operation: 'deleteMapping',
      handle: async ({ path, principal, request }) => {
        await mappings.remove(path.orgId, path.mappingId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });

const store = adapters.syncStore();
export const handler = makeHandler(
  makeManageMappings({
    store,
    connections: adapters.connectionStore(),
    orgs: adapters.orgStore(),
    clock: systemClock,
    connectors: adapters.syncConnectors(),
    audit: adapters.auditStore(),
    scanner: makeScanStarter({
      store,
      providers: adapters.syncProviders(),
      queues: adapters.messageQueues(),
      clock: systemClock,
    }),
  }),
);
