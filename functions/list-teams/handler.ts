import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, json } from '../../shared/http/api-handler';
import type { TeamStore } from '../../shared/ports/stores';

export const makeHandler = (teams: TeamStore) =>
  apiHandler({
    operation: 'listTeams',
    handle: async ({ path }) => json(200, { items: await teams.all(path.orgId) }),
  });

export const handler = makeHandler(adapters.teamStore());
