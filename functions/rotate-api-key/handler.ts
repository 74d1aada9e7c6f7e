import * as adapters from '../../shared/adapters/wiring';
import { RotateApiKeyRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { makeRotateApiKey } from '../../shared/identity/create-api-key';
import { systemClock } from '../../shared/ports/clock';

export const makeHandler = (rotate: ReturnType<typeof makeRotateApiKey>) =>
  apiHandler({
    operation: 'rotateApiKey',
    body: RotateApiKeyRequest,
    handle: async ({ body, path, principal, request }) => {
      const { apiKey, key, previousExpiresAt } = await rotate(
        path.orgId,
        path.keyId,
        body.overlapSeconds,
        principal,
        request,
      );
      return json(201, { ...apiKey, key, previousExpiresAt }, { 'cache-control': 'no-store' });
    },
  });

export const handler = makeHandler(
  makeRotateApiKey({ keys: adapters.apiKeyStore(), clock: systemClock, mayGrant: adapters.roleGuard() }),
);
