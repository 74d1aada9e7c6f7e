import type { OperationDoc } from '../../api/operation-doc';

/** PLACEHOLDER until this feature documents its operations (replaced by its owner). */
export const webhookEndpointOperations = {
  listWebhookEndpoints: { responses: { '200': { description: 'To be documented' } } },
  createWebhookEndpoint: { responses: { '200': { description: 'To be documented' } } },
  getWebhookEndpoint: { responses: { '200': { description: 'To be documented' } } },
  updateWebhookEndpoint: { responses: { '200': { description: 'To be documented' } } },
  deleteWebhookEndpoint: { responses: { '200': { description: 'To be documented' } } },
  rotateWebhookEndpointSecret: { responses: { '200': { description: 'To be documented' } } },
  listWebhookAttempts: { responses: { '200': { description: 'To be documented' } } },
  recoverWebhookEndpoint: { responses: { '200': { description: 'To be documented' } } },
  getNotificationMessage: { responses: { '200': { description: 'To be documented' } } },
  resendNotificationMessage: { responses: { '200': { description: 'To be documented' } } },
} satisfies Record<string, OperationDoc>;
