import * as adapters from '../../shared/adapters/wiring';
import { CreateOrgRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeCreateOrg } from '../../shared/tenancy/create-org';

export const makeHandler = (createOrg: ReturnType<typeof makeCreateOrg>) =>
  apiHandler({
    operation: 'createOrg',
    body: CreateOrgRequest,
    handle: async ({ body, principal, request }) => json(201, await createOrg(body, principal, request)),
  });

export const handler = makeHandler(makeCreateOrg({ orgs: adapters.orgStore(), clock: systemClock }));
