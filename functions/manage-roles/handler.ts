import * as adapters from '../../shared/adapters/wiring';
import { CreateRoleRequest, UpdateRoleRequest } from '../../shared/api/schemas';
import {
  makeCreateRole,
  makeDeleteRole,
  makeListRoles,
  makeUpdateRole,
} from '../../shared/authz/manage-access';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import type { AccessStore } from '../../shared/ports/stores';

/** Serves the custom-role routes. */
export const makeHandler = (access: AccessStore) => {
  const deps = { access, clock: systemClock };
  const list = makeListRoles(deps);
  const create = makeCreateRole(deps);
  const update = makeUpdateRole(deps);
  const remove = makeDeleteRole(deps);
  return byOperation({
    listRoles: apiHandler({
      operation: 'listRoles',
      handle: async ({ path }) => json(200, await list(path.orgId)),
    }),
    createRole: apiHandler({
      operation: 'createRole',
      body: CreateRoleRequest,
      handle: async ({ body, path, principal, request }) =>
        json(201, await create(path.orgId, body, principal, request)),
    }),
    updateRole: apiHandler({
      operation: 'updateRole',
      body: UpdateRoleRequest,
      handle: async ({ body, path, principal, request }) =>
        json(200, await update(path.orgId, path.roleId, body, principal, request)),
    }),
    deleteRole: apiHandler({
      operation: 'deleteRole',
      handle: async ({ path, principal, request }) => {
        await remove(path.orgId, path.roleId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });
};

export const handler = makeHandler(adapters.accessStore());
