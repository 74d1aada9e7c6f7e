import { ValidationError } from '../../errors';
import type { WebhookConnector } from '../connector';
import { normaliseGithubDelivery } from './normalise';
import { verifyGithubSignature } from './verify';

/** GitHub (github.com and GitHub Enterprise Server): webhooks signed with the connection's secret. */
export const githubConnector: WebhookConnector = {
  provider: 'github',
  verify: verifyGithubSignature,
  deliveryId: (delivery) => {
    const id = delivery.headers['x-github-delivery'];
    if (!id) throw new ValidationError('The delivery has no X-GitHub-Delivery header');
    return id;
  },
  normalise: normaliseGithubDelivery,
};
