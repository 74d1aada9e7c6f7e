import * as adapters from '../../shared/adapters/wiring';
import { SetTeamMemberRequest } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeRemoveTeamMember, makeSetTeamMember } from '../../shared/tenancy/manage-teams';

/** Serves the PUT and the DELETE of a team membership. */
export const makeHandler = (deps: {
  setMember: ReturnType<typeof makeSetTeamMember>;
  removeMember: ReturnType<typeof makeRemoveTeamMember>;
}) =>
  byOperation({
    setTeamMember: apiHandler({
      operation: 'setTeamMember',
      body: SetTeamMemberRequest,
      handle: async ({ body, path, principal, request }) =>
        json(200, await deps.setMember(path.orgId, path.teamId, path.userId, body.role, principal, request)),
    }),
    removeTeamMember: apiHandler({
      operation: 'removeTeamMember',
      handle: async ({ path, principal, request }) => {
        await deps.removeMember(path.orgId, path.teamId, path.userId, principal, request);
        return { statusCode: 204 };
      },
    }),
  });

const teams = adapters.teamStore();
export const handler = makeHandler({
  setMember: makeSetTeamMember({ teams, users: adapters.userStore(), clock: systemClock }),
  removeMember: makeRemoveTeamMember({ teams, clock: systemClock }),
});
