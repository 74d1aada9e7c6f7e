import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { addressStates } from '../../shared/notify/email/address-confirmation';
import { makeManageNotificationRules } from '../../shared/notify/rules/manage-rules';
import {
  CreateNotificationRuleRequest,
  TestNotificationRuleRequest,
  UpdateNotificationRuleRequest,
} from '../../shared/notify/rules/rule';
import { systemClock } from '../../shared/ports/clock';

/** Serves the notification-rule routes. */
export const makeHandler = (rules: ReturnType<typeof makeManageNotificationRules>) =>
  byOperation({
    listNotificationRules: apiHandler({
      operation: 'listNotificationRules',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await rules.list(path.orgId, query)),
    }),
    createNotificationRule: apiHandler({
      operation: 'createNotificationRule',
      body: CreateNotificationRuleRequest,
      handle: async ({ body, path, principal, request }) =>
        json(201, await rules.create(path.orgId, body, principal, request)),
    }),
    getNotificationRule: apiHandler({
      operation: 'getNotificationRule',
      handle: async ({ path }) => json(200, await rules.get(path.orgId, path.ruleId)),
    }),
    updateNotificationRule: apiHandler({
      operation: 'updateNotificationRule',
      body: UpdateNotificationRuleRequest,
      handle: async ({ body, path, principal, request }) =>
        json(200, await rules.update(path.orgId, path.ruleId, body, principal, request)),
    }),
    deleteNotificationRule: apiHandler({
      operation: 'deleteNotificationRule',
      handle: async ({ path, principal, request }) => {
        await rules.remove(path.orgId, path.ruleId, principal, request);
        return { statusCode: 204 };
      },
    }),
    testNotificationRule: apiHandler({
      operation: 'testNotificationRule',
      body: TestNotificationRuleRequest,
      handle: async ({ body, path, principal }) =>
        json(200, await rules.test(path.orgId, path.ruleId, body, principal)),
    }),
  });

const users = adapters.userStore();
const teams = adapters.teamStore();
const confirmationDeps = {
  confirmations: adapters.addressConfirmationStore(),
  suppressions: adapters.mailSuppressionStore(),
  users,
  clock: systemClock,
};
export const handler = makeHandler(
  makeManageNotificationRules({
    orgs: adapters.orgStore(),
    rules: adapters.notificationRuleStore(),
    refs: {
      endpoints: adapters.webhookEndpointStore(),
      users,
      teams,
      connections: adapters.connectionStore(),
      chatProviders: adapters.chatProviders(),
    },
    users,
    teams,
    events: adapters.eventStore(),
    claims: adapters.claimCheckStore(),
    channels: adapters.renderingChannels(),
    clock: systemClock,
    access: adapters.accessDirectory(),
    addresses: {
      states: (orgId, addresses) => addressStates(confirmationDeps, orgId, addresses),
      request: adapters.addressConfirmationRequests(systemClock),
    },
  }),
);
