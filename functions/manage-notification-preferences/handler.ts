import * as adapters from '../../shared/adapters/wiring';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { makeGetPreferences, makePutPreferences } from '../../shared/notify/email/manage-preferences';
import { NotificationPreferencesInput } from '../../shared/notify/email/preferences';
import { systemClock } from '../../shared/ports/clock';

/** Serves a user's notification preferences: the GET and the PUT, for themself or with users:manage. */
export const makeHandler = (deps: {
  get: ReturnType<typeof makeGetPreferences>;
  put: ReturnType<typeof makePutPreferences>;
}) =>
  byOperation({
    getNotificationPreferences: apiHandler({
      operation: 'getNotificationPreferences',
      handle: async ({ path, principal }) => json(200, await deps.get(path.orgId, path.userId, principal)),
    }),
    putNotificationPreferences: apiHandler({
      operation: 'putNotificationPreferences',
      body: NotificationPreferencesInput,
      handle: async ({ path, body, principal, request }) =>
        json(200, await deps.put(path.orgId, path.userId, body, principal, request)),
    }),
  });

const deps = {
  preferences: adapters.notificationPreferenceStore(),
  users: adapters.userStore(),
  access: adapters.accessDirectory(),
  clock: systemClock,
};
export const handler = makeHandler({ get: makeGetPreferences(deps), put: makePutPreferences(deps) });
