import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { publicUrl } from '../../shared/config/config';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import type { SsoConnections } from '../../shared/sso/connections';
import { makeSsoConnections, SsoConnectionInput } from '../../shared/sso/connections';
import type { SignInFailureStore } from '../../shared/sso/sign-in-failures';
import { FAILURES_SHOWN } from '../../shared/sso/sign-in-failures';
import type { SubjectBindings } from '../../shared/sso/subject-bindings';
import { makeSubjectBindings } from '../../shared/sso/subject-bindings';

/** An org's SSO connections: the IdPs its people sign in with. */
export const makeHandler = (deps: {
  connections: SsoConnections;
  failures: Pick<SignInFailureStore, 'list'>;
  subjects: SubjectBindings;
}) =>
  byOperation({
    listSsoConnections: apiHandler({
      operation: 'listSsoConnections',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await deps.connections.list(path.orgId, query)),
    }),
    createSsoConnection: apiHandler({
      operation: 'createSsoConnection',
      body: SsoConnectionInput,
      handle: async ({ path, body, principal, request }) =>
        json(201, await deps.connections.create(path.orgId, body, principal, request)),
    }),
    getSsoConnection: apiHandler({
      operation: 'getSsoConnection',
      handle: async ({ path }) => json(200, await deps.connections.get(path.orgId, path.ssoConnectionId)),
    }),
    replaceSsoConnection: apiHandler({
      operation: 'replaceSsoConnection',
      body: SsoConnectionInput,
      handle: async ({ path, body, principal, request }) =>
        json(200, await deps.connections.replace(path.orgId, path.ssoConnectionId, body, principal, request)),
    }),
    listSsoFailures: apiHandler({
      operation: 'listSsoFailures',
      handle: async ({ path }) => {
        await deps.connections.get(path.orgId, path.ssoConnectionId);
        return json(200, {
          items: await deps.failures.list(path.orgId, path.ssoConnectionId, FAILURES_SHOWN),
        });
      },
    }),
    deleteSsoSubjectBinding: apiHandler({
      operation: 'deleteSsoSubjectBinding',
      handle: async ({ path, principal, request }) => {
        await deps.connections.get(path.orgId, path.ssoConnectionId);
        await deps.subjects.reset(path.orgId, path.ssoConnectionId, path.userId, principal, request);
        return { statusCode: 204 };
      },
    }),
    deleteSsoConnection: apiHandler({
      operation: 'deleteSsoConnection',
      handle: async ({ path, principal, request }) => {
        await deps.connections.remove(path.orgId, path.ssoConnectionId, principal, request);
        await deps.subjects.forgetConnection(path.orgId, path.ssoConnectionId);
        return { statusCode: 204 };
      },
    }),
  });

export const handler = makeHandler({
  connections: makeSsoConnections({
    store: adapters.ssoConnectionStore(),
    cipher: adapters.secretCipher(),
    ...adapters.idpDiscovery(),
    clock: hubClock(),
    publicUrl: publicUrl(),
    mayGrant: adapters.roleGuard(),
  }),
  failures: adapters.signInFailureStore(),
  subjects: makeSubjectBindings({ store: adapters.ssoSubjectStore(), clock: hubClock() }),
});
