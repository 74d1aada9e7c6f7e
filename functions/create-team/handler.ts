import * as adapters from '../../shared/adapters/wiring';
import { CreateTeamRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeCreateTeam } from '../../shared/tenancy/manage-teams';

export const makeHandler = (createTeam: ReturnType<typeof makeCreateTeam>) =>
  apiHandler({
    operation: 'createTeam',
    body: CreateTeamRequest,
    handle: async ({ body, path, principal, request }) =>
      json(201, await createTeam(path.orgId, body, principal, request)),
  });

export const handler = makeHandler(
  makeCreateTeam({ orgs: adapters.orgStore(), teams: adapters.teamStore(), clock: systemClock }),
);
