import * as adapters from '../../shared/adapters/wiring';
import { SetTeamMemberRequest } from '../../shared/api/schemas';
import { apiHandler, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeSetTeamMember } from '../../shared/tenancy/manage-teams';

export const makeHandler = (setMember: ReturnType<typeof makeSetTeamMember>) =>
  apiHandler({
    operation: 'setTeamMember',
    body: SetTeamMemberRequest,
    handle: async ({ body, path, principal, request }) =>
      json(
        200,
        await setMember(
          path.orgId ?? '',
          path.teamId ?? '',
          path.userId ?? '',
          body.role,
          principal,
          request,
        ),
      ),
  });

export const handler = makeHandler(
  makeSetTeamMember({ teams: adapters.teamStore(), users: adapters.userStore(), clock: systemClock }),
);
