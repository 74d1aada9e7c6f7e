import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import {
  resourceType,
  resourceTypeList,
  schemaById,
  schemaList,
  serviceProviderConfig,
} from '../../shared/scim/discovery';
import type { ScimGroups } from '../../shared/scim/groups';
import { makeScimGroups } from '../../shared/scim/groups';
import type { ScimGateDeps } from '../../shared/scim/scim-handler';
import { scimHandler } from '../../shared/scim/scim-handler';
import type { ScimUsers } from '../../shared/scim/users';
import { makeScimUsers } from '../../shared/scim/users';

/** The org's SCIM 2.0 service: Users over hub users, Groups over hub teams, and its discovery documents. */
export const makeHandler = (deps: { gate: ScimGateDeps; users: ScimUsers; groups: ScimGroups }) =>
  scimHandler(deps.gate, {
    scimServiceProviderConfig: async ({ caller }) => ({
      status: 200,
      body: serviceProviderConfig(caller.baseUrl),
    }),
    scimResourceTypes: async ({ caller }) => ({ status: 200, body: resourceTypeList(caller.baseUrl) }),
    scimSchemas: async ({ caller }) => ({ status: 200, body: schemaList(caller.baseUrl) }),
    scimGetResourceType: async ({ caller, path }) => ({
      status: 200,
      body: resourceType(caller.baseUrl, path.resourceTypeId ?? ''),
    }),
    scimGetSchema: async ({ caller, path }) => ({
      status: 200,
      body: schemaById(caller.baseUrl, path.schemaId ?? ''),
    }),
    scimListUsers: ({ caller, query }) => deps.users.list(caller, query),
    scimCreateUser: ({ caller, body }) => deps.users.create(caller, body),
    scimGetUser: ({ caller, path, query }) => deps.users.get(caller, path.userId ?? '', query),
    scimReplaceUser: ({ caller, path, body, ifMatch }) =>
      deps.users.replace(caller, path.userId ?? '', body, ifMatch),
    scimPatchUser: ({ caller, path, body, ifMatch }) =>
      deps.users.patch(caller, path.userId ?? '', body, ifMatch),
    scimDeleteUser: ({ caller, path, ifMatch }) => deps.users.remove(caller, path.userId ?? '', ifMatch),
    scimListGroups: ({ caller, query }) => deps.groups.list(caller, query),
    scimCreateGroup: ({ caller, body }) => deps.groups.create(caller, body),
    scimGetGroup: ({ caller, path, query }) => deps.groups.get(caller, path.teamId ?? '', query),
    scimReplaceGroup: ({ caller, path, body, ifMatch }) =>
      deps.groups.replace(caller, path.teamId ?? '', body, ifMatch),
    scimPatchGroup: ({ caller, path, body, ifMatch }) =>
      deps.groups.patch(caller, path.teamId ?? '', body, ifMatch),
    scimDeleteGroup: ({ caller, path, ifMatch }) => deps.groups.remove(caller, path.teamId ?? '', ifMatch),
  });

const clock = hubClock();

export const handler = makeHandler({
  gate: {
    tokens: adapters.scimTokenStore(),
    tenants: adapters.tenantDirectory(),
    usage: adapters.usageStore(),
  },
  users: makeScimUsers({
    users: adapters.userStore(),
    profiles: adapters.scimUserStore(),
    teams: adapters.teamStore(),
    sessions: adapters.sessionRevoker(),
    clock,
  }),
  groups: makeScimGroups({
    orgs: adapters.orgStore(),
    teams: adapters.teamStore(),
    users: adapters.userStore(),
    groups: adapters.scimGroupStore(),
    clock,
  }),
});
