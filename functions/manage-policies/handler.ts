import * as adapters from '../../shared/adapters/wiring';
import { PutPolicyRequest } from '../../shared/api/schemas';
import { makeDeletePolicy, makeListPolicies, makePutPolicy } from '../../shared/authz/manage-access';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import type { AccessStore } from '../../shared/ports/stores';

/** Serves the policy routes. */
export const makeHandler = (access: AccessStore) => {
  const deps = { access, clock: systemClock };
  const list = makeListPolicies(deps);
  const put = makePutPolicy(deps);
  const remove = makeDeletePolicy(deps);
  return byOperation({
    listPolicies: apiHandler({
      operation: 'listPolicies',
      handle: async ({ path }) => json(200, await list(path.orgId)),
    }),
    putPolicy: apiHandler({
      operation: 'putPolicy',
      body: PutPolicyRequest,
      handle: async ({ body, path, principal, request }) => {
        const { policy, created } = await put(path.orgId, path.policyId, body, principal, request);
        return json(created ? 201 : 200, policy);
      },
    }),
    deletePolicy: apiHandler({
      operation: 'deletePolicy',
      handle: async ({ path, principal, request }) => {
        await remove(path.orgId, path.policyId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });
};

export const handler = makeHandler(adapters.accessStore());
