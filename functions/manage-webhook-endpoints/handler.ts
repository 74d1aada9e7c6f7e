import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { egressPolicy } from '../../shared/egress';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import {
  AttemptsQuerySchema,
  createEndpointSchema,
  RecoverSchema,
  RotateSecretSchema,
  updateEndpointSchema,
} from '../../shared/notify/webhooks/endpoint';
import { makeManageEndpoints } from '../../shared/notify/webhooks/manage-endpoints';

/** Serves the webhook-endpoint and message routes. */
export const makeHandler = (
  endpoints: ReturnType<typeof makeManageEndpoints>,
  // The schemas narrow it to what customers' URLs may reach (`customerEndpointPolicy`).
  policy = egressPolicy(),
) => {
  const create = createEndpointSchema(policy);
  const update = updateEndpointSchema(policy);
  return byOperation({
    listWebhookEndpoints: apiHandler({
      operation: 'listWebhookEndpoints',
      handle: async ({ path }) => json(200, await endpoints.list(path.orgId)),
    }),
    createWebhookEndpoint: apiHandler({
      operation: 'createWebhookEndpoint',
      body: create,
      handle: async ({ body, path, principal, request }) =>
        json(201, await endpoints.create(path.orgId, body, principal, request)),
    }),
    getWebhookEndpoint: apiHandler({
      operation: 'getWebhookEndpoint',
      handle: async ({ path }) => json(200, await endpoints.get(path.orgId, path.endpointId)),
    }),
    updateWebhookEndpoint: apiHandler({
      operation: 'updateWebhookEndpoint',
      body: update,
      handle: async ({ body, path, principal, request }) =>
        json(200, await endpoints.update(path.orgId, path.endpointId, body, principal, request)),
    }),
    deleteWebhookEndpoint: apiHandler({
      operation: 'deleteWebhookEndpoint',
      handle: async ({ path, principal, request }) => {
        await endpoints.remove(path.orgId, path.endpointId, principal, request);
        return { statusCode: 204 };
      },
    }),
    rotateWebhookEndpointSecret: apiHandler({
      operation: 'rotateWebhookEndpointSecret',
      body: RotateSecretSchema,
      handle: async ({ body, path, principal, request }) =>
        json(
          200,
          await endpoints.rotateSecret(path.orgId, path.endpointId, body.overlapSeconds, principal, request),
        ),
    }),
    listWebhookAttempts: apiHandler({
      operation: 'listWebhookAttempts',
      query: AttemptsQuerySchema,
      handle: async ({ path, query }) =>
        json(
          200,
          await endpoints.attempts(path.orgId, path.endpointId, query.status, {
            limit: query.limit,
            cursor: query.cursor,
          }),
        ),
    }),
    recoverWebhookEndpoint: apiHandler({
      operation: 'recoverWebhookEndpoint',
      body: RecoverSchema,
      handle: async ({ body, path, principal, request }) =>
        json(
          202,
          await endpoints.recover(path.orgId, path.endpointId, new Date(body.since), principal, request),
        ),
    }),
    getNotificationMessage: apiHandler({
      operation: 'getNotificationMessage',
      handle: async ({ path }) => json(200, await endpoints.getMessage(path.orgId, path.messageId)),
    }),
    resendNotificationMessage: apiHandler({
      operation: 'resendNotificationMessage',
      handle: async ({ path, principal, request }) =>
        json(202, await endpoints.resend(path.orgId, path.messageId, principal, request)),
    }),
  });
};

const clock = hubClock();
export const handler = makeHandler(
  makeManageEndpoints({
    endpoints: adapters.webhookEndpointStore(),
    deliveries: adapters.deliveryStore(clock),
    orgs: adapters.orgStore(),
    cipher: adapters.secretCipher(),
    queues: adapters.messageQueues(),
    audit: adapters.auditStore(),
    clock,
  }),
);
