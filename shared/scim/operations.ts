import * as z from 'zod';
import { authErrors, jsonBody, ok, problem } from '../api/operation-doc';
import { ListQuery, OrgIdParam } from '../api/schemas';
import {
  CreateScimTokenRequest,
  MAX_SCIM_TOKENS_PER_ORG,
  ScimTokenCreated,
  ScimTokenPage,
} from '../identity/scim-token';
import { LIST_RESPONSE_SCHEMA } from './schema';
import { SCIM_CONTENT_TYPE, SCIM_ERROR_SCHEMA } from './scim-error';

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

/** SCIM's error body (RFC 7644 §3.12): what every refusal of the SCIM service answers, 401s included. */
const ScimErrorBody = z
  .object({
    schemas: z.array(z.literal(SCIM_ERROR_SCHEMA)),
    status: z.string().describe('The HTTP status, as a string'),
    scimType: z
      .enum([
        'invalidFilter',
        'tooMany',
        'uniqueness',
        'mutability',
        'invalidSyntax',
        'invalidPath',
        'noTarget',
        'invalidValue',
        'invalidVers',
        'sensitive',
      ])
      .optional(),
    detail: z.string(),
  })
  .meta({ id: 'ScimError' });

const ScimResource = z
  .looseObject({
    schemas: z.array(z.string()),
    id: z.string().optional(),
    meta: z.looseObject({}).optional(),
  })
  .meta({
    id: 'ScimResource',
    description: 'A SCIM resource (RFC 7643): a User, Group, or discovery document',
  });

const ScimListResponse = z
  .object({
    schemas: z.array(z.literal(LIST_RESPONSE_SCHEMA)),
    totalResults: z.number().int(),
    startIndex: z.number().int(),
    itemsPerPage: z.number().int(),
    Resources: z.array(ScimResource),
  })
  .meta({ id: 'ScimListResponse' });

const scim = (description: string, schema: z.ZodType) => ({
  description,
  content: { [SCIM_CONTENT_TYPE]: { schema } },
});
const scimError = (description: string) => scim(description, ScimErrorBody);
const scimBody = { required: true, content: { [SCIM_CONTENT_TYPE]: { schema: ScimResource } } };
const scimAuthErrors = {
  '401': scimError('No SCIM token, or not a valid one (an API key or user token is refused here)'),
  '403': scimError('The org is suspended, or the request comes from outside its IP allow-list'),
  '429': scimError("The org's plan allows no more requests this minute"),
};
const ListParams = z.object({
  filter: z.string().max(1000).optional().meta({ example: 'userName eq "ada@example.com"' }),
  startIndex: z.string().optional().meta({ description: '1-based' }),
  count: z.string().optional().meta({ description: 'At most 200' }),
  attributes: z.string().optional(),
  excludedAttributes: z.string().optional(),
});
const Projection = ListParams.pick({ attributes: true, excludedAttributes: true });
const IfMatch = z.object({
  'if-match': z.string().optional().meta({ description: 'A meta.version (ETag)' }),
});
const UserPath = z.object({ userId: z.string() });
const GroupPath = z.object({ teamId: z.string().meta({ description: "The group's id: its hub team's" }) });
const security = [{ scimToken: [] }];

const read = (what: string, path: z.ZodObject, description: string) => ({
  security,
  description,
  requestParams: { path, query: Projection },
  responses: { '200': scim(what, ScimResource), ...scimAuthErrors, '404': scimError(`No such ${what}`) },
});
const list = (what: string, description: string) => ({
  security,
  description,
  requestParams: { query: ListParams },
  responses: {
    '200': scim(`A page of ${what}`, ScimListResponse),
    '400': scimError('The filter or paging is not valid (scimType invalidFilter or invalidValue)'),
    ...scimAuthErrors,
  },
});
const change = (what: string, path: z.ZodObject, description: string) => ({
  security,
  description,
  requestParams: { path, header: IfMatch },
  requestBody: scimBody,
  responses: {
    '200': scim(`The ${what}, as changed`, ScimResource),
    '400': scimError('The body is not valid (scimType invalidSyntax, invalidPath, invalidValue or noTarget)'),
    ...scimAuthErrors,
    '404': scimError(`No such ${what}`),
    '409': scimError('A value that must be unique is taken (scimType uniqueness)'),
    '412': scimError('If-Match names another version'),
  },
});
const remove = (what: string, path: z.ZodObject, description: string) => ({
  security,
  description,
  requestParams: { path, header: IfMatch },
  responses: {
    '204': { description: 'Done' },
    ...scimAuthErrors,
    '404': scimError(`No such ${what}`),
    '409': scimError('The group is a team with child teams'),
    '412': scimError('If-Match names another version'),
  },
});
const discovery = (description: string, schema: z.ZodType) => ({
  security,
  description,
  responses: { '200': scim(description, schema), ...scimAuthErrors },
});

/**
 * The SCIM 2.0 service's operations (RFC 7644), for the org a SCIM token belongs to. Bodies are
 * `application/scim+json`, every error is SCIM's error schema, and each change is audited with
 * channel `scim`.
 */
export const scimOperations = {
  scimServiceProviderConfig: discovery('What the service supports: PATCH, filters, ETags', ScimResource),
  scimResourceTypes: discovery('User (with the enterprise extension) and Group', ScimListResponse),
  scimSchemas: discovery('The User, EnterpriseUser and Group schemas', ScimListResponse),
  scimGetResourceType: {
    security,
    description: 'One resource type by its id (`User` or `Group`).',
    requestParams: { path: z.object({ resourceTypeId: z.string().meta({ example: 'User' }) }) },
    responses: {
      '200': scim('The resource type', ScimResource),
      ...scimAuthErrors,
      '404': scimError('No such resource type'),
    },
  },
  scimGetSchema: {
    security,
    description: 'One schema by its URN, such as `urn:ietf:params:scim:schemas:core:2.0:User`.',
    requestParams: {
      path: z.object({
        schemaId: z.string().meta({ example: 'urn:ietf:params:scim:schemas:core:2.0:User' }),
      }),
    },
    responses: {
      '200': scim('The schema', ScimResource),
      ...scimAuthErrors,
      '404': scimError('No such schema'),
    },
  },
  scimListUsers: list(
    'users',
    'Provisioned users, oldest first: `filter` (eq, ne, co, sw, ew, gt, lt, pr, and, or, not, value paths such as `emails[type eq "work"].value`), `startIndex`/`count` paging, `attributes`/`excludedAttributes`.',
  ),
  scimCreateUser: {
    security,
    description:
      "Provisions a user: a hub user with the org's default role (or the existing member with that email, taken under the IdP's management) and the profile sent. Audited (`user.provisioned`, channel `scim`).",
    requestBody: scimBody,
    responses: {
      '201': scim('The user', ScimResource),
      '400': scimError('The user is not valid, or has no email address the org admits'),
      ...scimAuthErrors,
      '409': scimError('The userName (or the email) is provisioned already (scimType uniqueness)'),
    },
  },
  scimGetUser: read(
    'user',
    UserPath,
    'A provisioned user, with `meta.version` (also its ETag) and the read-only `groups`: the teams they are a direct member of.',
  ),
  scimReplaceUser: change(
    'user',
    UserPath,
    "Replaces the profile; `active: false` deprovisions (the hub user is deactivated at once). A changed address becomes the hub user's email (its claim moved in the same write: another user's address is 409 `uniqueness`), and their sessions under the old one are signed out.",
  ),
  scimPatchUser: change(
    'user',
    UserPath,
    "PATCH operations (RFC 7644 §3.5.2), Okta's and Entra's forms alike; `active: false` deprovisions.",
  ),
  scimDeleteUser: remove(
    'user',
    UserPath,
    'Deprovisions: the hub user is deactivated at once (their tokens and keys stop working) and the profile forgotten.',
  ),
  scimListGroups: list(
    'groups',
    'The hub teams as groups, oldest first; `filter=externalId eq "…"` finds one by the IdP\'s id; `excludedAttributes=members` spares reading members.',
  ),
  scimCreateGroup: {
    security,
    description:
      'Creates a hub team with the members given (as `member`). Audited (`team.created`, `team.member_set`, channel `scim`).',
    requestBody: scimBody,
    responses: {
      '201': scim('The group', ScimResource),
      '400': scimError('The group is not valid, or names no user of the org'),
      ...scimAuthErrors,
    },
  },
  scimGetGroup: read(
    'group',
    GroupPath,
    "A group: the team, its direct members (`display`: each one's hub name) and the IdP's `externalId`.",
  ),
  scimReplaceGroup: change(
    'group',
    GroupPath,
    'Renames the team and makes its direct members exactly those given.',
  ),
  scimPatchGroup: change(
    'group',
    GroupPath,
    'Renames the team, adds or removes members (`members[value eq "…"]` paths included); each is a team membership change.',
  ),
  scimDeleteGroup: remove(
    'group',
    GroupPath,
    'Deletes the team (one without child teams) and its memberships.',
  ),
};
