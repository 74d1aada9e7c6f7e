import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { OrgStore } from '../../shared/ports/stores';
import { requireOrg } from '../../shared/tenancy/require-org';

export const makeHandler = (orgs: OrgStore) =>
  apiHandler({
    operation: 'getOrg',
    handle: async ({ path }) => json(200, await requireOrg(orgs, path.orgId)),
  });

export const handler = makeHandler(adapters.orgStore());
