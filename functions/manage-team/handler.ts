import * as adapters from '../../shared/adapters/wiring';
import { UpdateTeamRequest } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeDeleteTeam, makeUpdateTeam } from '../../shared/tenancy/manage-teams';

/** Serves the PATCH and the DELETE of a team. */
export const makeHandler = (deps: {
  update: ReturnType<typeof makeUpdateTeam>;
  remove: ReturnType<typeof makeDeleteTeam>;
}) =>
  byOperation({
    updateTeam: apiHandler({
      operation: 'updateTeam',
      body: UpdateTeamRequest,
      handle: async ({ body, path, principal, request }) =>
        json(200, await deps.update(path.orgId, path.teamId, body, principal, request)),
    }),
    deleteTeam: apiHandler({
      operation: 'deleteTeam',
      handle: async ({ path, principal, request }) => {
        await deps.remove(path.orgId, path.teamId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });

const teams = adapters.teamStore();
export const handler = makeHandler({
  update: makeUpdateTeam({ teams, clock: systemClock }),
  remove: makeDeleteTeam({ teams, clock: systemClock }),
});
