import { MAX_COUNT } from './query';
import {
  BOOLEAN_ATTRIBUTES,
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  GROUP_SCHEMA,
  LIST_RESPONSE_SCHEMA,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './schema';
import { MAX_PATCH_OPERATIONS, MAX_SCIM_BODY_BYTES } from './scim-body';
import { ScimError } from './scim-error';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** What the service supports (RFC 7643 §5): PATCH, filters, ETags; no bulk, sorting or passwords. */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SPC_SCHEMA],
    // The hub's own API document, which describes these routes, on the same origin.
    documentationUri: new URL('/v1/openapi.json', baseUrl).href,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'SCIM token',
        description: `An org SCIM token (hubscim_…) as a bearer token; bodies up to ${MAX_SCIM_BODY_BYTES} bytes and ${MAX_PATCH_OPERATIONS} PATCH operations`,
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

const resourceTypes = (baseUrl: string) => [
  {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'A hub user of the organisation',
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
  },
  {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'A hub team; its members are the team’s direct members',
    schema: GROUP_SCHEMA,
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
  },
];

export const listOf = (resources: readonly unknown[]) => ({
  schemas: [LIST_RESPONSE_SCHEMA],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

export const resourceTypeList = (baseUrl: string) => listOf(resourceTypes(baseUrl));

/** One resource type by its id (RFC 7644 §4: `/ResourceTypes/{id}`), matched as the RFC names them. */
export function resourceType(baseUrl: string, id: string) {
  const found = resourceTypes(baseUrl).find((r) => r.id === id);
  if (!found)
    throw new ScimError(404, `No resource type ${id.slice(0, 64)}; this service has User and Group`);
  return found;
}

const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'addresses', 'members']);
const CASE_EXACT = new Set(['externalId', 'value', '$ref']);

function attribute(name: string, subs: readonly string[] | null | undefined): Record<string, unknown> {
  const base = {
    name,
    multiValued: MULTI_VALUED.has(name),
    required: name === 'userName' || name === 'displayName',
    mutability: 'readWrite',
    returned: 'default',
  };
  if (subs) {
    return {
      ...base,
      type: 'complex',
      subAttributes: subs.map((sub) => attribute(sub, null)),
      ...(name === 'members' ? { required: false } : {}),
    };
  }
  return {
    ...base,
    type: BOOLEAN_ATTRIBUTES.has(name) ? 'boolean' : name === '$ref' ? 'reference' : 'string',
    caseExact: CASE_EXACT.has(name),
    uniqueness: name === 'userName' ? 'server' : 'none',
  };
}

/**
 * A User's groups (RFC 7643 §4.1.2): the teams they are a direct member of, read-only (membership
 * changes go through the Group), so it is no attribute a User's PUT or PATCH writes.
 */
const groupsAttribute: Record<string, unknown> = {
  name: 'groups',
  type: 'complex',
  multiValued: true,
  required: false,
  mutability: 'readOnly',
  returned: 'default',
  subAttributes: ['value', 'display', '$ref', 'type'].map((sub) => ({
    ...attribute(sub, null),
    mutability: 'readOnly',
  })),
};

function schema(
  id: string,
  name: string,
  table: Readonly<Record<string, readonly string[] | null>>,
  baseUrl: string,
  readOnly: readonly Record<string, unknown>[] = [],
) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    attributes: [...Object.entries(table).map(([n, subs]) => attribute(n, subs)), ...readOnly],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  };
}

const schemas = (baseUrl: string) => [
  schema(USER_SCHEMA, 'User', USER_ATTRIBUTES, baseUrl, [groupsAttribute]),
  schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', ENTERPRISE_ATTRIBUTES, baseUrl),
  schema(GROUP_SCHEMA, 'Group', GROUP_ATTRIBUTES, baseUrl),
];

/** The schemas the service speaks (RFC 7643 §7), from the attribute tables it validates with. */
export const schemaList = (baseUrl: string) => listOf(schemas(baseUrl));

/** One schema by its URN (RFC 7644 §4: `/Schemas/{id}`). */
export function schemaById(baseUrl: string, id: string) {
  const found = schemas(baseUrl).find((s) => s.id === id);
  if (!found) throw new ScimError(404, `No schema ${id.slice(0, 120)} in this service`);
  return found;
}
