import * as adapters from '../../shared/adapters/wiring';
import { CreateApiKeyRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { makeCreateApiKey } from '../../shared/identity/create-api-key';
import { systemClock } from '../../shared/ports/clock';

export const makeHandler = (createApiKey: ReturnType<typeof makeCreateApiKey>) =>
  apiHandler({
    operation: 'createApiKey',
    body: CreateApiKeyRequest,
    handle: async ({ body, path, principal, request }) => {
      const { apiKey, key } = await createApiKey(path.orgId, body, principal, request);
      return json(201, { ...apiKey, key }, { 'cache-control': 'no-store' });
    },
  });

export const handler = makeHandler(
  makeCreateApiKey({
    orgs: adapters.orgStore(),
    keys: adapters.apiKeyStore(),
    clock: systemClock,
    mayGrant: adapters.roleGuard(),
  }),
);
