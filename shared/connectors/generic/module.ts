import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { UnauthenticatedError } from '../../errors';
import type { ProviderModule } from '../provider-module';
import { GenericWebhookPayloadSchema, normaliseGenericDelivery } from './normalise';

/** Any sender of Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): inbound only. */
export const genericProvider: ProviderModule<'generic', readonly []> = {
  id: 'generic',
  displayName: 'Standard Webhooks',
  api: {
    defaultBaseUrl: null,
    customBaseUrl: true,
    baseUrlHint: 'any URL of the sender, or none (the hub never calls it)',
  },
  credentials: [],
  webhook: {
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
    sign: async (secret, body, { id, at }) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    }),
    docs: {
      summary: 'Any sender of Standard Webhooks',
      setup:
        'Signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and the ' +
        "connection's secret; a repeated `webhook-id` is acknowledged again without publishing twice.",
      headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
      payload: GenericWebhookPayloadSchema,
    },
  },
  access: [],
};
