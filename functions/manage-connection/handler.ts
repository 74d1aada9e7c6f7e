import * as adapters from '../../shared/adapters/wiring';
import { RotateSecretRequest, UpdateConnectionRequest } from '../../shared/api/schemas';
import {
  makeDeleteConnection,
  makeRotateConnectionSecret,
  makeSetConnectionCredentials,
  makeSetConnectionStatus,
  makeUpdateConnection,
} from '../../shared/connectors/manage-connections';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import type { SecretCipher } from '../../shared/ports/secret-cipher';
import type { ConnectionStore } from '../../shared/ports/stores';
import { PROVIDERS } from '../../shared/providers';

/** Serves the routes that change a connection. */
export const makeHandler = (
  connections: ConnectionStore,
  cipher: SecretCipher,
  providers: typeof PROVIDERS = PROVIDERS,
) => {
  const deps = { connections, clock: systemClock, providers };
  const update = makeUpdateConnection(deps);
  const setStatus = makeSetConnectionStatus(deps);
  const remove = makeDeleteConnection(deps);
  const rotate = makeRotateConnectionSecret({ ...deps, cipher });
  const setCredentials = makeSetConnectionCredentials({ ...deps, cipher });
  const status = (operation: 'disableConnection' | 'enableConnection', to: 'active' | 'disabled') =>
    apiHandler({
      operation,
      handle: async ({ path, principal, request }) =>
        json(200, await setStatus(path.orgId, path.connectionId, to, principal, request)),
    });
  return byOperation({
    updateConnection: apiHandler({
      operation: 'updateConnection',
      body: UpdateConnectionRequest,
      handle: async ({ body, path, principal, request }) =>
        json(200, await update(path.orgId, path.connectionId, body, principal, request)),
    }),
    disableConnection: status('disableConnection', 'disabled'),
    enableConnection: status('enableConnection', 'active'),
    deleteConnection: apiHandler({
      operation: 'deleteConnection',
      handle: async ({ path, principal, request }) => {
        await remove(path.orgId, path.connectionId, principal, request);
        return { statusCode: 204 };
      },
    }),
    setConnectionCredentials: apiHandler({
      operation: 'setConnectionCredentials',
      body: providers.credentialsSchema,
      handle: async ({ body, path, principal, request }) =>
        json(200, await setCredentials(path.orgId, path.connectionId, body, principal, request)),
    }),
    rotateConnectionSecret: apiHandler({
      operation: 'rotateConnectionSecret',
      body: RotateSecretRequest,
      handle: async ({ body, path, principal, request }) => {
        const { connection, webhookSecret } = await rotate(
          path.orgId,
          path.connectionId,
          body.overlapSeconds,
          principal,
          request,
        );
        return json(200, { ...connection, webhookSecret }, { 'cache-control': 'no-store' });
      },
    }),
  });
};

export const handler = makeHandler(adapters.connectionStore(), adapters.secretCipher());
