import * as adapters from '../../shared/adapters/wiring';
import { InviteUserRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeInviteUser } from '../../shared/tenancy/manage-invitations';

export const makeHandler = (invite: ReturnType<typeof makeInviteUser>) =>
  apiHandler({
    operation: 'inviteUser',
    body: InviteUserRequest,
    handle: async ({ body, path, principal, request }) =>
      json(201, await invite(path.orgId, body, principal, request)),
  });

export const handler = makeHandler(
  makeInviteUser({
    orgs: adapters.orgStore(),
    invitations: adapters.invitationStore(),
    cipher: adapters.secretCipher(),
    clock: systemClock,
    mayGrant: adapters.roleGuard(),
  }),
);
