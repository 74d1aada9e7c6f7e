import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { CreateScimTokenRequest } from '../../shared/identity/scim-token';
import type { ScimTokens } from '../../shared/scim/scim-tokens';
import { makeScimTokens } from '../../shared/scim/scim-tokens';

/** An org's SCIM tokens: issued (shown once), listed, revoked. */
export const makeHandler = (deps: { tokens: ScimTokens }) =>
  byOperation({
    createScimToken: apiHandler({
      operation: 'createScimToken',
      body: CreateScimTokenRequest,
      handle: async ({ path, body, principal, request }) =>
        json(201, await deps.tokens.create(path.orgId, body, principal, request), {
          'cache-control': 'no-store',
        }),
    }),
    listScimTokens: apiHandler({
      operation: 'listScimTokens',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await deps.tokens.list(path.orgId, query)),
    }),
    revokeScimToken: apiHandler({
      operation: 'revokeScimToken',
      handle: async ({ path, principal, request }) => {
        await deps.tokens.revoke(path.orgId, path.tokenId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });

export const handler = makeHandler({
  tokens: makeScimTokens({
    orgs: adapters.orgStore(),
    tokens: adapters.scimTokenStore(),
    clock: hubClock(),
    mayGrant: adapters.roleGuard(),
  }),
});
