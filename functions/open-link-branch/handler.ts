import * as adapters from '../../shared/adapters/wiring';
import { OpenBranchRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeOpenLinkBranch } from '../../shared/sync/manage-sync';

export const makeHandler = (open: ReturnType<typeof makeOpenLinkBranch>) =>
  apiHandler({
    operation: 'openLinkBranch',
    body: OpenBranchRequest,
    handle: async ({ body, path, principal, request }) =>
      json(200, await open(path.orgId, path.linkId, body, principal, request)),
  });

export const handler = makeHandler(
  makeOpenLinkBranch({
    store: adapters.syncStore(),
    connections: adapters.connectionStore(),
    providers: adapters.syncProviders(),
    audit: adapters.auditStore(),
    clock: systemClock,
  }),
);
