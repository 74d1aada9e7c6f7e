import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import { makeUserTeams } from '../../shared/tenancy/manage-teams';

export const makeHandler = (userTeams: ReturnType<typeof makeUserTeams>) =>
  apiHandler({
    operation: 'listUserTeams',
    handle: async ({ path }) => json(200, await userTeams(path.orgId, path.userId)),
  });

export const handler = makeHandler(
  makeUserTeams({ teams: adapters.teamStore(), users: adapters.userStore() }),
);
