import * as adapters from '../../shared/adapters/wiring';
import { POLICY_ID, PutPolicyRequest } from '../../shared/api/schemas';
import { makeDeletePolicy, makeListPolicies, makePutPolicy } from '../../shared/authz/manage-access';
import { ValidationError } from '../../shared/errors';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import type { AccessStore } from '../../shared/ports/stores';

function policyIdOf(path: Record<string, string>): string {
  const id = path.policyId ?? '';
  if (!POLICY_ID.test(id)) {
    throw new ValidationError('A policy id is 1-64 letters, digits, - or _', [
      { path: 'policyId', message: 'not a valid policy id' },
    ]);
  }
  return id;
}

/** Serves the policy routes. */
export const makeHandler = (access: AccessStore) => {
  const deps = { access, clock: systemClock };
  const list = makeListPolicies(deps);
  const put = makePutPolicy(deps);
  const remove = makeDeletePolicy(deps);
  return byOperation({
    listPolicies: apiHandler({
      operation: 'listPolicies',
      handle: async ({ path }) => json(200, await list(path.orgId ?? '')),
    }),
    putPolicy: apiHandler({
      operation: 'putPolicy',
      body: PutPolicyRequest,
      handle: async ({ body, path, principal, request }) => {
        const { policy, created } = await put(path.orgId ?? '', policyIdOf(path), body, principal, request);
        return json(created ? 201 : 200, policy);
      },
    }),
    deletePolicy: apiHandler({
      operation: 'deletePolicy',
      handle: async ({ path, principal, request }) => {
        await remove(path.orgId ?? '', policyIdOf(path), principal, request);
        return { statusCode: 204 };
      },
    }),
  });
};

export const handler = makeHandler(adapters.accessStore());
