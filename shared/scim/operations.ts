import * as z from 'zod';
import { authErrors, jsonBody, ok, problem } from '../api/operation-doc';
import { ListQuery, OrgIdParam } from '../api/schemas';
import {
  CreateScimTokenRequest,
  MAX_SCIM_TOKENS_PER_ORG,
  ScimTokenCreated,
  ScimTokenPage,
} from '../identity/scim-token';

const TokenParam = z.object({
  orgId: z.string(),
  tokenId: z.string().meta({ description: "The token's id (`scim_…`)", example: 'scim_01JD3Q4…' }),
});

/** The SCIM tokens' operations, documented beside the feature and merged into the OpenAPI document. */
export const scimTokenOperations = {
  listScimTokens: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    description:
      "The org's SCIM tokens, newest first: names, masked forms and status, never the tokens or their hashes.",
    responses: {
      '200': ok('A page of SCIM tokens', ScimTokenPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  createScimToken: {
    requestParams: { path: OrgIdParam },
    description: `Issues a SCIM token (\`hubscim_…\`) for an identity provider: it is shown this once and only its hash is kept. It opens the org's SCIM 2.0 service at \`/scim/v2\` and nothing else (every \`/v1\` route refuses it); an API key or user token is refused there. At most ${MAX_SCIM_TOKENS_PER_ORG} active tokens per org. Audited (\`scim_token.created\`).`,
    requestBody: jsonBody(CreateScimTokenRequest),
    responses: {
      '201': ok('The token, shown once', ScimTokenCreated),
      '400': problem('The body is not valid'),
      ...authErrors,
      '409': problem(`The org holds ${MAX_SCIM_TOKENS_PER_ORG} active SCIM tokens`),
    },
  },
  revokeScimToken: {
    requestParams: { path: TokenParam },
    description:
      'Revokes a SCIM token: the SCIM service refuses it from the next request on. Audited (`scim_token.revoked`).',
    responses: {
      '204': { description: 'Revoked' },
      ...authErrors,
      '404': problem('The org has no such active token'),
    },
  },
};
