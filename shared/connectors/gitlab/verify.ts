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

/** What a de-duplication id may be: short, and nothing a key or a log line could be confused by. */
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * GitLab's id of the delivery, the same on each retry of it: `Idempotency-Key` (one per delivery),
 * else `X-Gitlab-Event-UUID` (which GitLab reuses across the hooks one event sets off).
 */
export function gitlabDeliveryId(delivery: WebhookDelivery): string {
  const id = delivery.headers['idempotency-key'] || delivery.headers['x-gitlab-event-uuid'];
  if (!id) throw new ValidationError('The delivery has no Idempotency-Key (nor X-Gitlab-Event-UUID) header');
  if (!DELIVERY_ID.test(id))
    throw new ValidationError(
      'The delivery id (Idempotency-Key or X-Gitlab-Event-UUID) must be at most 200 letters, digits, ".", "_", ":" or "-"',
    );
  return id;
}
