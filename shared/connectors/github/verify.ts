import { verify } from '@octokit/webhooks-methods';
import { UnauthenticatedError } from '../../errors';
import type { WebhookDelivery } from '../connector';

/** GitHub signs the raw body with HMAC-SHA256 in `X-Hub-Signature-256` (`sha256=<hex>`). */
export async function verifyGithubSignature(secret: string, delivery: WebhookDelivery): Promise<void> {
  const signature = delivery.headers['x-hub-signature-256'];
  if (!signature) throw new UnauthenticatedError('The delivery has no X-Hub-Signature-256 header');
  let valid = false;
  try {
    valid = await verify(secret, delivery.body, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new UnauthenticatedError('The X-Hub-Signature-256 signature is not valid');
}
