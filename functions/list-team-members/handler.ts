import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import { makeTeamMembers } from '../../shared/tenancy/manage-teams';

export const makeHandler = (members: ReturnType<typeof makeTeamMembers>) =>
  apiHandler({
    operation: 'listTeamMembers',
    handle: async ({ path }) => json(200, await members(path.orgId, path.teamId)),
  });

export const handler = makeHandler(makeTeamMembers({ teams: adapters.teamStore() }));
