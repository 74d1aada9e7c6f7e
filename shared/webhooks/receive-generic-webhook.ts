import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { secretContext } from '../connectors/create-connection';
import { normaliseGenericDelivery } from '../connectors/generic/normalise';
import { ForbiddenError, NotFoundError, QuotaExceededError, UnauthenticatedError } from '../errors';
import { ID_PATTERN } from '../ids';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { DeliveryLedger } from '../ports/delivery-ledger';
import type { SecretCipher } from '../ports/secret-cipher';
import type { ConnectionStore, UsageStore } from '../ports/stores';
import { webhookRate } from '../tenancy/plans';
import type { TenantDirectory } from '../tenancy/tenant-directory';
import { TtlCache } from '../ttl-cache';

export interface InboundWebhook {
  readonly connectionId: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  readonly correlationId: string;
}

export interface AcceptedWebhook {
  readonly orgId: string;
  readonly eventId: string;
  readonly duplicate: boolean;
}

/**
 * Verifies a Standard Webhooks delivery (signature and timestamp tolerance), de-duplicates it by
 * `webhook-id`, normalises it and puts it on the bus. Nothing reaches the bus unverified.
 */
export function makeReceiveGenericWebhook(deps: {
  connections: ConnectionStore;
  cipher: SecretCipher;
  deliveries: DeliveryLedger;
  tenants: Pick<TenantDirectory, 'get'>;
  usage: Pick<UsageStore, 'consumeRate' | 'meter'>;
  clock: Clock;
  secretCacheSeconds: number;
}) {
  const secrets = new TtlCache<string>(deps.secretCacheSeconds * 1000);

  return async (input: InboundWebhook): Promise<AcceptedWebhook> => {
    const route = ID_PATTERN('con').test(input.connectionId)
      ? await deps.connections.findWebhookRoute(input.connectionId)
      : null;
    if (route?.provider !== 'generic' || route.status !== 'active') {
      throw new NotFoundError(`No active generic connection ${input.connectionId}`);
    }
    const cacheKey = `${route.connectionId}:${route.encryptedSecret}`;
    const secret =
      secrets.get(cacheKey) ??
      secrets.set(
        cacheKey,
        await deps.cipher.decrypt(route.encryptedSecret, secretContext(route.orgId, route.connectionId)),
      );

    const headers = Object.fromEntries(
      Object.entries(input.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k.toLowerCase(), v]])),
    );
    try {
      new Webhook(secret).verify(input.body, headers, { jsonParse: false });
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        throw new UnauthenticatedError(`The webhook signature is not valid: ${error.message}`);
      }
      throw error;
    }
    // Only verified deliveries count against the org's daily allowance; a forger cannot spend it.
    const org = await deps.tenants.get(route.orgId);
    if (org?.status !== 'active') throw new ForbiddenError(`The organisation is ${org?.status ?? 'gone'}`);
    const receivedAt = deps.clock.now();
    const rate = await deps.usage.consumeRate(org.id, webhookRate(org.plan), receivedAt);
    if (!rate.allowed) {
      throw new QuotaExceededError(`The plan allows ${webhookRate(org.plan).limit} webhook events a day`, {
        extensions: { retryAfterSeconds: rate.retryAfterSeconds },
      });
    }
    // verify() succeeded, so both headers are present and the timestamp is a number.
    const webhookId = String(headers['webhook-id']);
    const event = normaliseGenericDelivery({
      orgId: route.orgId,
      connectionId: route.connectionId,
      webhookId,
      sentAt: new Date(Number(headers['webhook-timestamp']) * 1000),
      body: input.body,
      receivedAt,
      correlationId: input.correlationId,
    });
    const outcome = await deps.deliveries.publishOnce(`${route.connectionId}:${webhookId}`, event);
    if (!outcome.duplicate) {
      // The event is on the bus: a metering hiccup must not make the sender retry it.
      await deps.usage
        .meter(org.id, 'webhookEvents', receivedAt)
        .catch((error: unknown) => logger.warn('Could not meter a webhook event', { error: error as Error }));
    }
    return { orgId: route.orgId, ...outcome };
  };
}
