import { verify } from '@octokit/webhooks-methods';
import { UnauthenticatedError, ValidationError } from '../../errors';
import type { WebhookConnector } from '../connector';
import { normaliseJiraDelivery } from './normalise';

/**
 * Jira Cloud admin webhooks with a secret: HMAC-SHA256 of the raw body in `X-Hub-Signature`
 * (`sha256=<hex>`, WebSub's method), de-duplicated by `X-Atlassian-Webhook-Identifier`, which
 * stays the same on Jira's retries. A connection always has a secret, so unsigned calls are refused.
 */
export const jiraConnector: WebhookConnector = {
  provider: 'jira',
  verify: async (secret, delivery) => {
    const signature = delivery.headers['x-hub-signature'];
    if (!signature) throw new UnauthenticatedError('The delivery has no X-Hub-Signature header');
    const valid = await verify(secret, delivery.body, signature).catch(() => false);
    if (!valid) throw new UnauthenticatedError('The X-Hub-Signature signature is not valid');
  },
  deliveryId: (delivery) => {
    const id = delivery.headers['x-atlassian-webhook-identifier'];
    if (!id) throw new ValidationError('The delivery has no X-Atlassian-Webhook-Identifier header');
    return id;
  },
  normalise: normaliseJiraDelivery,
};
