import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { makeDeleteSuppression, makeListSuppressions } from '../../shared/notify/email/suppressions';
import { systemClock } from '../../shared/ports/clock';

/** Lists an org's suppressed addresses, and lifts one. */
export const makeHandler = (deps: {
  list: ReturnType<typeof makeListSuppressions>;
  remove: ReturnType<typeof makeDeleteSuppression>;
}) =>
  byOperation({
    listMailSuppressions: apiHandler({
      operation: 'listMailSuppressions',
      query: ListQuery,
      handle: async ({ path, query, principal }) => json(200, await deps.list(path.orgId, query, principal)),
    }),
    deleteMailSuppression: apiHandler({
      operation: 'deleteMailSuppression',
      handle: async ({ path, principal, request }) => {
        await deps.remove(path.orgId, path.address, principal, request);
        return { statusCode: 204 };
      },
    }),
  });

const suppressions = adapters.mailSuppressionStore();
export const handler = makeHandler({
  list: makeListSuppressions({ suppressions, access: adapters.accessDirectory() }),
  remove: makeDeleteSuppression({ suppressions, clock: systemClock }),
});
