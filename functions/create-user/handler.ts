import * as adapters from '../../shared/adapters/wiring';
import { CreateUserRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeProvisionUser } from '../../shared/tenancy/manage-users';

export const makeHandler = (provision: ReturnType<typeof makeProvisionUser>) =>
  apiHandler({
    operation: 'createUser',
    body: CreateUserRequest,
    handle: async ({ body, path, principal, request }) =>
      json(201, await provision(path.orgId, body, principal, request)),
  });

export const handler = makeHandler(
  makeProvisionUser({
    orgs: adapters.orgStore(),
    users: adapters.userStore(),
    clock: systemClock,
    mayGrant: adapters.roleGuard(),
  }),
);
