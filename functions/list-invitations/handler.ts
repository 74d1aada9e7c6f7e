import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeListInvitations } from '../../shared/tenancy/manage-invitations';

export const makeHandler = (list: ReturnType<typeof makeListInvitations>) =>
  apiHandler({
    operation: 'listInvitations',
    query: ListQuery,
    handle: async ({ path, query }) => json(200, await list(path.orgId, query)),
  });

export const handler = makeHandler(
  makeListInvitations({ invitations: adapters.invitationStore(), clock: systemClock }),
);
