import { secretContext } from '../connectors/create-connection';
import type { WebhookPart, WebhookReply } from '../connectors/provider-module';
import type { WorkItemConnector } from '../connectors/work-items';
import { ForbiddenError, NotFoundError, QuotaExceededError, UnauthenticatedError } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import { ID_PATTERN } from '../ids';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { DeliveryLedger } from '../ports/delivery-ledger';
import type { SecretCipher } from '../ports/secret-cipher';
import type { ConnectionStore, UsageStore } from '../ports/stores';
import { webhookRate } from '../tenancy/plans';
import type { TenantDirectory } from '../tenancy/tenant-directory';
import { TtlCache } from '../ttl-cache';
import { checkWebhookBody } from './webhook-limits';

export interface InboundWebhook {
  readonly connectionId: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  readonly correlationId: string;
}

export type AcceptedWebhook =
  | { readonly orgId: string; readonly eventId: string; readonly duplicate: boolean; readonly ignored: false }
  | { readonly orgId: string; readonly ignored: true; readonly reply?: undefined }
  /** The provider challenged the endpoint: its module's answer, returned as is. */
  | { readonly orgId: string; readonly ignored: true; readonly reply: WebhookReply };

/**
 * Receives a provider's webhook delivery: a provider no module declares is 404; a body over the size
 * or nesting limit is refused before anything reads it; the connection must exist, be active and
 * belong to that provider (fail closed otherwise); a provider's challenge of the endpoint is answered
 * by its module's handshake, with the connection's secret; the signature is verified with the connection's secret before anything else is read;
 * the delivery is normalised, and a delivery not seen before is counted against the org's daily
 * allowance and published once per provider delivery id, its raw body kept under the org first. It is acknowledged only after the bus has it.
 */
export function makeReceiveWebhook(deps: {
  /** Each provider's webhook part, by provider id (`ProviderCatalog.webhooks`). */
  webhooks: Readonly<Record<string, WebhookPart>>;
  connections: Pick<ConnectionStore, 'findWebhookRoute'>;
  cipher: SecretCipher;
  deliveries: DeliveryLedger;
  tenants: Pick<TenantDirectory, 'get'>;
  usage: Pick<UsageStore, 'consumeRate' | 'meter'>;
  /**
   * Each provider's reading of an event's actor, by provider id (`ProviderCatalog.syncConnectors`):
   * with the hub's identity recorded on the route, the hub's own writes coming back are recognised.
   */
  actors?: Readonly<Record<string, Pick<WorkItemConnector, 'actorOf' | 'couldBeHub'>>>;
  /** Keeps the raw body under the org, by content hash (`makeStoreRawDelivery`), for debugging and replays. */
  storeRaw: (tenantId: string, connectionId: string, body: string) => Promise<unknown>;
  clock: Clock;
  secretCacheSeconds: number;
}) {
  const secrets = new TtlCache<string>(deps.secretCacheSeconds * 1000);

  /**
   * The hub's own write coming back: exactly the sync engine's test (`isOwnChange`: the provider's
   * actor, one the hub could be, equal to the hub's identity), for the events it applies it to.
   */
  const isEcho = (provider: string, event: CanonicalEvent, hubActor: string | null | undefined): boolean => {
    const family = event.type.split('.')[0];
    if (!hubActor || (family !== 'work_item' && family !== 'comment')) return false;
    const reader = deps.actors && Object.hasOwn(deps.actors, provider) ? deps.actors[provider] : undefined;
    const actor = reader?.actorOf(event);
    return Boolean(actor && reader?.couldBeHub(actor) && actor === hubActor);
  };

  return async (provider: string, input: InboundWebhook): Promise<AcceptedWebhook> => {
    // An own property only: a path segment such as `constructor` names no provider.
    const connector = Object.hasOwn(deps.webhooks, provider) ? deps.webhooks[provider] : undefined;
    if (!connector) throw new NotFoundError(`No provider ${provider} takes webhooks here`);
    checkWebhookBody(input.body);
    const route = ID_PATTERN('con').test(input.connectionId)
      ? await deps.connections.findWebhookRoute(input.connectionId)
      : null;
    if (route?.provider !== provider || route.status !== 'active') {
      throw new NotFoundError(`No active ${provider} connection ${input.connectionId}`);
    }
    const decrypt = async (encrypted: string) =>
      secrets.get(`${route.connectionId}:${encrypted}`) ??
      secrets.set(
        `${route.connectionId}:${encrypted}`,
        await deps.cipher.decrypt(encrypted, secretContext(route.orgId, route.connectionId)),
      );
    const receivedAt = deps.clock.now();
    const delivery = {
      orgId: route.orgId,
      connectionId: route.connectionId,
      headers: Object.fromEntries(
        Object.entries(input.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k.toLowerCase(), v]])),
      ),
      body: input.body,
      receivedAt,
      correlationId: input.correlationId,
    };
    const secret = await decrypt(route.encryptedSecret);
    const reply = connector.handshake ? await connector.handshake(secret, delivery) : null;
    if (reply) return { orgId: route.orgId, ignored: true, reply };
    try {
      await connector.verify(secret, delivery);
    } catch (error) {
      // During a rotation's overlap, the provider may still sign with the previous secret.
      const previous = route.previousEncryptedSecret;
      const until = route.previousSecretExpiresAt;
      if (!(error instanceof UnauthenticatedError) || !previous || !until || new Date(until) <= receivedAt) {
        throw error;
      }
      await connector.verify(await decrypt(previous), delivery);
    }
    const deliveryId = connector.deliveryId(delivery);

    // Only verified deliveries count against the org's daily allowance; a forger cannot spend it.
    const org = await deps.tenants.get(route.orgId);
    if (org?.status !== 'active') throw new ForbiddenError(`The organisation is ${org?.status ?? 'gone'}`);
    const normalised = connector.normalise(delivery, deliveryId);
    if (!normalised) return { orgId: route.orgId, ignored: true };
    const contentType = delivery.headers['content-type']?.slice(0, 255);
    // The raw copy is answered later with the type it came with.
    const echo = isEcho(provider, normalised, route.hubActor);
    const event: CanonicalEvent = {
      ...normalised,
      ...(contentType ? { raw: { ...normalised.raw, contentType } } : {}),
      ...(echo ? { echo: true as const } : {}),
    };
    const deliveryKey = `${route.connectionId}:${deliveryId}`;
    // Once the ledger has claimed a first delivery (a replay is answered from it, spending nothing):
    // the org's allowance, then the raw copy (content-addressed, so a retry writes the same bytes).
    // Every delivery spends the allowance, the hub's own writes coming back too: an echo is known
    // by its actor, which a sender holding the connection's secret could claim. A refused delivery
    // stores nothing; if either step fails, nothing is published and the sender's retry is
    // processed again. Concurrent first deliveries are one claim: the second waits (InProgressError).
    const admit = async () => {
      const rate = await deps.usage.consumeRate(org.id, webhookRate(org.plan), receivedAt);
      if (!rate.allowed)
        throw new QuotaExceededError(`The plan allows ${webhookRate(org.plan).limit} webhook events a day`, {
          extensions: { retryAfterSeconds: rate.retryAfterSeconds },
        });
      await deps.storeRaw(route.orgId, route.connectionId, input.body);
    };
    const outcome = await deps.deliveries.publishOnce(deliveryKey, event, admit);
    // The hub's own writes are not the org's usage; the event is on the bus, so a metering hiccup
    // must not make the sender retry it.
    if (!outcome.duplicate && !echo) {
      await deps.usage
        .meter(org.id, 'webhookEvents', receivedAt)
        .catch((error: unknown) => logger.warn('Could not meter a webhook event', { error: error as Error }));
    }
    return { orgId: route.orgId, ...outcome, ignored: false };
  };
}
