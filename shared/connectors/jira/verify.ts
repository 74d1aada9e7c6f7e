import { verify } from '@octokit/webhooks-methods';
import { UnauthenticatedError } from '../../errors';
import type { WebhookDelivery } from '../connector';

/**
 * Jira Cloud admin webhooks with a secret: HMAC-SHA256 of the raw body in `X-Hub-Signature`
 * (`sha256=<hex>`, WebSub's method). A connection always has a secret, so unsigned calls are refused.
 */
export async function verifyJiraSignature(secret: string, delivery: WebhookDelivery): Promise<void> {
  const signature = delivery.headers['x-hub-signature'];
  if (!signature) throw new UnauthenticatedError('The delivery has no X-Hub-Signature header');
  const valid = await verify(secret, delivery.body, signature).catch(() => false);
  if (!valid) throw new UnauthenticatedError('The X-Hub-Signature signature is not valid');
}
