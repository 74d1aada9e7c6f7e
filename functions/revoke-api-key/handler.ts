import * as adapters from '../../shared/adapters/wiring';
import { apiHandler } from '../../shared/http/api-handler';
import { makeRevokeApiKey } from '../../shared/identity/create-api-key';
import { systemClock } from '../../shared/ports/clock';

export const makeHandler = (revoke: ReturnType<typeof makeRevokeApiKey>) =>
  apiHandler({
    operation: 'revokeApiKey',
    handle: async ({ path, principal, request }) => {
      await revoke(path.orgId, path.keyId, principal, request);
      return { statusCode: 204, headers: {}, body: '' };
    },
  });

export const handler = makeHandler(
  makeRevokeApiKey({ keys: adapters.apiKeyStore(), clock: systemClock, mayGrant: adapters.roleGuard() }),
);
