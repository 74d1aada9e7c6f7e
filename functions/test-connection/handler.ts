import * as adapters from '../../shared/adapters/wiring';
import { makeTestConnection } from '../../shared/connectors/manage-connections';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { PROVIDERS } from '../../shared/providers';

export const makeHandler = (test: ReturnType<typeof makeTestConnection>) =>
  apiHandler({
    operation: 'testConnection',
    handle: async ({ path, principal, request }) =>
      json(200, await test(path.orgId, path.connectionId, principal, request)),
  });

export const handler = makeHandler(
  makeTestConnection({
    connections: adapters.connectionStore(),
    cipher: adapters.secretCipher(),
    audit: adapters.auditStore(),
    probes: PROVIDERS.probes(adapters.providerTokens()),
    clock: systemClock,
  }),
);
