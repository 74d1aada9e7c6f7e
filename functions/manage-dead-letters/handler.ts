import * as adapters from '../../shared/adapters/wiring';
import { ListQuery, RedriveRequest } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { systemClock } from '../../shared/ports/clock';
import { makeListDeadLetters, makeRedriveDeadLetters } from '../../shared/queues/manage-dead-letters';

export const makeHandler = (deps: {
  list: ReturnType<typeof makeListDeadLetters>;
  redrive: ReturnType<typeof makeRedriveDeadLetters>;
}) =>
  byOperation({
    listDeadLetters: apiHandler({
      operation: 'listDeadLetters',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await deps.list(path.orgId, query)),
    }),
    redriveDeadLetters: apiHandler({
      operation: 'redriveDeadLetters',
      body: RedriveRequest,
      handle: async ({ body, path, principal, request }) =>
        json(200, await deps.redrive(path.orgId, body.ids, principal, request)),
    }),
  });

const deadLetters = adapters.deadLetterStore();
export const handler = makeHandler({
  list: makeListDeadLetters({ deadLetters }),
  redrive: makeRedriveDeadLetters({
    deadLetters,
    queues: adapters.messageQueues(),
    audit: adapters.auditStore(),
    clock: systemClock,
  }),
});
