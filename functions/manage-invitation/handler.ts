import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeResendInvitation, makeRevokeInvitation } from '../../shared/tenancy/manage-invitations';

/** Serves `/resend` and the DELETE of an invitation: one function, the route says which. */
export const makeHandler = (deps: {
  resend: ReturnType<typeof makeResendInvitation>;
  revoke: ReturnType<typeof makeRevokeInvitation>;
}) =>
  byOperation({
    resendInvitation: apiHandler({
      operation: 'resendInvitation',
      handle: async ({ path, principal, request }) =>
        json(200, await deps.resend(path.orgId, path.invitationId, principal, request)),
    }),
    revokeInvitation: apiHandler({
      operation: 'revokeInvitation',
      handle: async ({ path, principal, request }) =>
        json(200, await deps.revoke(path.orgId, path.invitationId, principal, request)),
    }),
  });

const invitations = adapters.invitationStore();
export const handler = makeHandler({
  resend: makeResendInvitation({
    orgs: adapters.orgStore(),
    invitations,
    cipher: adapters.secretCipher(),
    clock: systemClock,
    mayGrant: adapters.roleGuard(),
  }),
  revoke: makeRevokeInvitation({ invitations, clock: systemClock, mayGrant: adapters.roleGuard() }),
});
