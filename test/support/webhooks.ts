import { Webhook } from 'standardwebhooks';

/** Signs a body as a Standard Webhooks sender does; returns the three headers. */
export function signedHeaders(
  secret: string,
  body: string,
  id = `msg_${Math.random().toString(36).slice(2)}`,
  at = new Date(),
) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
