import * as adapters from '../../shared/adapters/wiring';
import { CreateConnectionRequest } from '../../shared/api/schemas';
import { makeCreateConnection } from '../../shared/connectors/create-connection';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { PROVIDERS } from '../../shared/providers';

export const makeHandler = (createConnection: ReturnType<typeof makeCreateConnection>) =>
  apiHandler({
    operation: 'createConnection',
    body: CreateConnectionRequest,
    handle: async ({ body, path, principal, request }) => {
      const { connection, webhookSecret } = await createConnection(path.orgId, body, principal, request);
      return json(201, { ...connection, webhookSecret }, { 'cache-control': 'no-store' });
    },
  });

export const handler = makeHandler(
  makeCreateConnection({
    orgs: adapters.orgStore(),
    connections: adapters.connectionStore(),
    cipher: adapters.secretCipher(),
    clock: systemClock,
    providers: PROVIDERS,
  }),
);
