import * as adapters from '../../shared/adapters/wiring';
import { AcceptInvitationRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeAcceptInvitation } from '../../shared/tenancy/manage-invitations';

export const makeHandler = (accept: ReturnType<typeof makeAcceptInvitation>) =>
  apiHandler({
    operation: 'acceptInvitation',
    body: AcceptInvitationRequest,
    handle: async ({ body, request }) => json(201, await accept(body, request)),
  });

export const handler = makeHandler(
  makeAcceptInvitation({
    orgs: adapters.orgStore(),
    invitations: adapters.invitationStore(),
    clock: systemClock,
  }),
);
