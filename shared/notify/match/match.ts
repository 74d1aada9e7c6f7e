import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import { TtlCache } from '../../ttl-cache';
import type { LimitedEmail } from '../email/email-limits';
import type {
  ChatRecipients,
  DeliveryQueue,
  DeliveryTarget,
  DigestCollector,
  EmailRecipients,
  EndpointSubscriptions,
  RuleDestinations,
} from '../model';
import { matchesType, targetKey } from '../model';

/** How long an org's endpoint list is reused: a new or changed endpoint is matched within this. */
export const ENDPOINT_CACHE_MS = 5_000;

export interface MatchDeps {
  readonly endpoints: EndpointSubscriptions;
  readonly deliveries: DeliveryQueue;
  /** The notification rules' destinations (the rules part); without it, only endpoints' own filters match. */
  readonly rules?: RuleDestinations;
  /** Who an email destination reaches (the email part); without it, email destinations are skipped. */
  readonly recipients?: EmailRecipients;
  readonly digests?: DigestCollector;
  /** Which conversation a chat destination reaches (the chat part); without it, chat destinations are skipped. */
  readonly chat?: ChatRecipients;
  /**
   * Targets an event names itself, whatever the rules and filters say (an approval's callback
   * endpoint and chat destination); a webhook target among them still needs an enabled endpoint.
   */
  readonly ownTargets?: (event: CanonicalEvent) => readonly DeliveryTarget[];
  /** The per-event cap and the daily quota on email (the email part); without it, email is not limited. */
  readonly emailLimits?: (
    event: CanonicalEvent,
    targets: readonly Extract<DeliveryTarget, { channel: 'email' }>[],
  ) => Promise<LimitedEmail>;
}

/** The org's enabled endpoints, each list reused for a few seconds. */
export function cachedSubscriptions(
  source: EndpointSubscriptions,
  ttlMs = ENDPOINT_CACHE_MS,
): EndpointSubscriptions {
  const cache = new TtlCache<ReturnType<EndpointSubscriptions['listEnabled']>>(ttlMs, 2_000);
  return {
    listEnabled(orgId) {
      let found = cache.get(orgId);
      if (!found) {
        found = source.listEnabled(orgId);
        found.catch(() => cache.delete(orgId));
        cache.set(orgId, found);
      }
      return found;
    },
  };
}

/**
 * Matches one event: the org's enabled endpoints whose event types match it, and every destination
 * the org's rules give it (an endpoint, email through each recipient's preferences, now or in a
 * digest, or a chat conversation), de-duplicated, queued as one delivery per target. Matching the same event again queues
 * nothing new: message ids derive from the event and the target.
 */
export function makeMatcher(deps: MatchDeps) {
  return async (event: CanonicalEvent): Promise<{ targets: number; created: number }> => {
    const orgId = event.tenantId;
    const [endpoints, fromRules] = await Promise.all([
      deps.endpoints.listEnabled(orgId),
      deps.rules ? deps.rules.destinationsFor(event) : Promise.resolve([]),
    ]);
    const enabled = new Set(endpoints.map((e) => e.id));
    const targets = new Map<string, DeliveryTarget>();
    const add = (target: DeliveryTarget) => {
      if (!targets.has(targetKey(target))) targets.set(targetKey(target), target);
    };
    for (const endpoint of endpoints)
      if (endpoint.eventTypes.some((p) => matchesType(p, event.type)))
        add({ channel: 'webhook', endpointId: endpoint.id });
    for (const target of deps.ownTargets?.(event) ?? [])
      if (target.channel !== 'webhook' || enabled.has(target.endpointId)) add(target);
    const digestUsers = new Set<string>();
    for (const { destination } of fromRules) {
      if (destination.kind === 'webhook_endpoint') {
        // A rule naming an endpoint since disabled or deleted sends it nothing.
        if (enabled.has(destination.endpointId))
          add({ channel: 'webhook', endpointId: destination.endpointId });
        continue;
      }
      if (destination.kind === 'email') {
        if (!deps.recipients) {
          logger.warn('An email destination matched, but no email recipients are wired', {
            eventId: event.id,
          });
          continue;
        }
        const resolved = await deps.recipients.resolve(orgId, destination, event);
        for (const target of resolved.now) add(target);
        for (const userId of resolved.digest) digestUsers.add(userId);
        continue;
      }
      if (destination.kind === 'chat') {
        if (!deps.chat) {
          logger.warn('A chat destination matched, but no chat recipients are wired', { eventId: event.id });
          continue;
        }
        for (const target of await deps.chat.resolve(orgId, destination, event)) add(target);
      }
    }
    if (digestUsers.size > 0 && deps.digests) await deps.digests.add(orgId, [...digestUsers], event);
    let send = [...targets.values()];
    let held: { target: DeliveryTarget; reason: string }[] = [];
    if (deps.emailLimits) {
      const emails = send.filter((t) => t.channel === 'email');
      if (emails.length > 0) {
        const limited = await deps.emailLimits(event, emails);
        send = [...send.filter((t) => t.channel !== 'email'), ...limited.send];
        held = [...limited.held];
      }
    }
    if (send.length === 0 && held.length === 0) return { targets: 0, created: 0 };
    const { created } = await deps.deliveries.enqueue(event, send, held);
    return { targets: send.length, created };
  };
}
