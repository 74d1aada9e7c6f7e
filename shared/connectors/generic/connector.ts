import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { UnauthenticatedError } from '../../errors';
import type { WebhookConnector } from '../connector';
import { normaliseGenericDelivery } from './normalise';

/** Any sender of Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
export const genericConnector: WebhookConnector = {
  provider: 'generic',
  verify: async (secret, delivery) => {
    try {
      new Webhook(secret).verify(delivery.body, delivery.headers, { jsonParse: false });
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        throw new UnauthenticatedError(`The webhook signature is not valid: ${error.message}`);
      }
      throw error;
    }
  },
  // verify() succeeded, so the id and the timestamp headers are present.
  deliveryId: (delivery) => String(delivery.headers['webhook-id']),
  normalise: (delivery, deliveryId) =>
    normaliseGenericDelivery({
      orgId: delivery.orgId,
      connectionId: delivery.connectionId,
      webhookId: deliveryId,
      sentAt: new Date(Number(delivery.headers['webhook-timestamp']) * 1000),
      body: delivery.body,
      receivedAt: delivery.receivedAt,
      correlationId: delivery.correlationId,
    }),
};
