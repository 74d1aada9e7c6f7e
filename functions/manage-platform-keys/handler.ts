import * as adapters from '../../shared/adapters/wiring';
import { CreatePlatformApiKeyRequest, ListQuery } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import {
  makeCreatePlatformKey,
  makeListPlatformKeys,
  makeRevokePlatformKey,
} from '../../shared/identity/platform-keys';
import { systemClock } from '../../shared/ports/clock';
import type { ApiKeyStore } from '../../shared/ports/stores';

/** Serves the platform key routes (platform admins only). */
export const makeHandler = (keys: ApiKeyStore) => {
  const deps = { keys, clock: systemClock };
  const list = makeListPlatformKeys(deps);
  const create = makeCreatePlatformKey(deps);
  const revoke = makeRevokePlatformKey(deps);
  return byOperation({
    listPlatformApiKeys: apiHandler({
      operation: 'listPlatformApiKeys',
      query: ListQuery,
      handle: async ({ query, principal }) => json(200, await list(query, principal)),
    }),
    createPlatformApiKey: apiHandler({
      operation: 'createPlatformApiKey',
      body: CreatePlatformApiKeyRequest,
      handle: async ({ body, principal, request }) => {
        const { apiKey, key } = await create(body, principal, request);
        return json(201, { ...apiKey, key }, { 'cache-control': 'no-store' });
      },
    }),
    revokePlatformApiKey: apiHandler({
      operation: 'revokePlatformApiKey',
      handle: async ({ path, principal, request }) => {
        await revoke(path.keyId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });
};

export const handler = makeHandler(adapters.apiKeyStore());
