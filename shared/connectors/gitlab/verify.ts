import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError, ValidationError } from '../../errors';
import type { WebhookDelivery } from '../connector';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * GitLab sends the webhook's secret token itself in `X-Gitlab-Token` (no HMAC of the body): it is
 * compared in constant time, as equal-length digests, so neither its content nor its length leaks.
 */
export async function verifyGitlabToken(secret: string, delivery: WebhookDelivery): Promise<void> {
  const token = delivery.headers['x-gitlab-token'];
  if (!token) throw new UnauthenticatedError('The delivery has no X-Gitlab-Token header');
  if (!timingSafeEqual(digest(token), digest(secret)))
    throw new UnauthenticatedError('The X-Gitlab-Token is not the connection’s webhook secret');
}

/** GitLab's id of the event, the same on each retry of it: `X-Gitlab-Event-UUID`, else `Idempotency-Key`. */
export function gitlabDeliveryId(delivery: WebhookDelivery): string {
  const id = delivery.headers['x-gitlab-event-uuid'] || delivery.headers['idempotency-key'];
  if (!id) throw new ValidationError('The delivery has no X-Gitlab-Event-UUID (nor Idempotency-Key) header');
  return id;
}
