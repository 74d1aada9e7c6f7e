import * as z from 'zod';
import { CANONICAL_TYPES, CUSTOM_TYPE_PREFIX } from '../events/canonical';
import type { CanonicalEvent } from '../events/canonical-event';
import { ID_PATTERN } from '../ids';

/**
 * The notify system's seams, shared by its parts:
 *
 *   bus ─► notify queue ─► match (rules + endpoint subscriptions + recipients' preferences)
 *        ─► one DeliveryMessage per (event, target) ─► deliveries queue ─► a channel's send
 *        ─► attempt recorded ─► done, or a retry scheduled (SQS delay, or the due index)
 *
 * A channel (outbound webhook, email; Slack and Teams as provider modules later) is one
 * `NotificationChannel`: it renders an event for a target and sends it. Everything else — the
 * messages, their attempts, retries, rate limits, resends — is the same for every channel.
 */

/** Where a notification rule sends what it matches. */
export const DestinationSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('webhook_endpoint'),
        endpointId: z.string().regex(ID_PATTERN('ep')).describe("One of the org's webhook endpoints"),
      })
      .strict(),
    z
      .object({
        kind: z.literal('email'),
        userIds: z
          .array(z.string().regex(ID_PATTERN('usr')))
          .max(50)
          .optional(),
        teamIds: z
          .array(z.string().regex(ID_PATTERN('team')))
          .max(20)
          .optional(),
        addresses: z.array(z.email().max(320)).max(50).optional(),
      })
      .strict()
      .refine((d) => (d.userIds?.length ?? 0) + (d.teamIds?.length ?? 0) + (d.addresses?.length ?? 0) > 0, {
        message: 'An email destination names at least one user, team or address',
      }),
    z
      .object({
        kind: z.literal('chat'),
        connectionId: z.string().regex(ID_PATTERN('con')),
        conversation: z.string().min(1).max(200),
      })
      .strict(),
  ])
  .meta({ id: 'NotificationDestination' });
export type Destination = z.infer<typeof DestinationSchema>;

/**
 * What one delivery message goes to. `channel` names the channel that sends it; every chat
 * provider shares the `chat` channel, its target naming the provider, connection and conversation.
 */
export type DeliveryTarget =
  | { readonly channel: 'webhook'; readonly endpointId: string }
  | {
      readonly channel: 'email';
      readonly address: string;
      /** The hub user it is for, when it is one (their preferences and unsubscribe link apply). */
      readonly userId?: string;
    }
  | {
      readonly channel: 'chat';
      readonly provider: string;
      readonly connectionId: string;
      readonly conversation: string;
    };

/** A stable key of a target within its org: the message id is derived from (event id, this). */
export function targetKey(target: DeliveryTarget): string {
  switch (target.channel) {
    case 'webhook':
      return `webhook:${target.endpointId}`;
    case 'email':
      return `email:${target.address.toLowerCase()}`;
    case 'chat':
      return `chat:${target.connectionId}:${target.conversation}`;
  }
}

export type MessageStatus = 'pending' | 'delivered' | 'failed' | 'scheduled' | 'dropped';

/**
 * One event for one target: the unit that is delivered, retried and resent. Its id is the
 * Standard Webhooks `webhook-id`, the same on every attempt and resend, so receivers de-duplicate.
 */
export interface DeliveryMessage {
  readonly orgId: string;
  /** `msg_…`: derived from the event id and the target key, so queuing twice creates one message. */
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly target: DeliveryTarget;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly nextAttemptAt?: string;
  readonly lastAttemptAt?: string;
  readonly deliveredAt?: string;
  /** Why a message was dropped or failed for good (endpoint disabled, address suppressed…). */
  readonly reason?: string;
}

/** How one attempt went, as a channel reports it. */
export type SendOutcome =
  | {
      readonly ok: true;
      readonly statusCode?: number;
      readonly durationMs: number;
      readonly responseExcerpt?: string;
    }
  | {
      readonly ok: false;
      readonly statusCode?: number;
      readonly durationMs: number;
      readonly responseExcerpt?: string;
      /** A short, secret-free reason: `timeout`, `connection refused`, `HTTP 500`, `refused by the egress guard`… */
      readonly error: string;
      /** The destination asked for a wait (429/503 `Retry-After`), in seconds. */
      readonly retryAfterSeconds?: number;
      /** Retrying cannot help: `gone` disables the destination (HTTP 410), `rejected` fails this message. */
      readonly permanent?: 'gone' | 'rejected';
    };

/** What a channel makes of an event for one target, without sending it (the rule test shows it). */
export interface RenderedMessage {
  readonly channel: DeliveryTarget['channel'];
  /** A subject or title, when the channel has one. */
  readonly title?: string;
  /** The content type of `body`: `application/json` for webhooks, `text/plain` for email's text part. */
  readonly contentType: string;
  readonly body: string;
  /** Other parts (email's HTML) and the headers it would carry, secrets left out. */
  readonly alternatives?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One channel of the notify system. */
export interface NotificationChannel<T extends DeliveryTarget = DeliveryTarget> {
  readonly channel: T['channel'];
  /** Seconds to wait before each retry after the first attempt; its length is the number of retries. */
  readonly retrySchedule: readonly number[];
  render(event: CanonicalEvent, target: T, message?: Pick<DeliveryMessage, 'id'>): Promise<RenderedMessage>;
  send(message: DeliveryMessage & { readonly target: T }, event: CanonicalEvent): Promise<SendOutcome>;
}

/** Queues deliveries: stores the event once and one message per target, then queues each message once. */
export interface DeliveryQueue {
  /**
   * `held`: targets whose messages are created already dropped, with the reason (a limit reached),
   * so the org sees what was not sent; they are never queued.
   */
  enqueue(
    event: CanonicalEvent,
    targets: readonly DeliveryTarget[],
    held?: readonly { readonly target: DeliveryTarget; readonly reason: string }[],
  ): Promise<{ created: number; existing: number }>;
}

/**
 * Who an email destination reaches for one event, after each user's preferences: addresses to
 * send to now, and users who take this kind of event in their digest instead.
 */
export interface EmailRecipients {
  resolve(
    orgId: string,
    destination: Extract<Destination, { kind: 'email' }>,
    event: CanonicalEvent,
  ): Promise<{
    readonly now: readonly Extract<DeliveryTarget, { channel: 'email' }>[];
    readonly digest: readonly string[];
  }>;
}

/**
 * Who a chat destination reaches for one event: its conversation on the connection's provider,
 * or nothing (the connection is gone or inactive, the user it names is inactive or does not take
 * this event by chat). A `user:<id>` conversation stays one (its DM is found when it is sent).
 */
export interface ChatRecipients {
  resolve(
    orgId: string,
    destination: Extract<Destination, { kind: 'chat' }>,
    event: CanonicalEvent,
  ): Promise<readonly Extract<DeliveryTarget, { channel: 'chat' }>[]>;
}

/** Adds matched events to users' digests (hourly or daily, as each prefers). */
export interface DigestCollector {
  add(orgId: string, userIds: readonly string[], event: CanonicalEvent): Promise<void>;
}

/** An org's webhook endpoints as the matcher needs them (cached briefly by the caller). */
export interface EndpointSubscriptions {
  /** The enabled endpoints with their event-type filters (`[]`: only what rules send them). */
  listEnabled(
    orgId: string,
  ): Promise<readonly { readonly id: string; readonly eventTypes: readonly string[] }[]>;
}

/**
 * An event-type pattern: `pull_request.merged`, `pull_request.*` (any type under it), or `*`
 * (every type). The one matcher rules and endpoint filters both use.
 */
export const EVENT_TYPE_PATTERN = /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$/;
export const EventTypePatternSchema = z
  .string()
  .max(100)
  .regex(EVENT_TYPE_PATTERN, 'an event type (`pull_request.merged`), a prefix and `.*`, or `*`');

export function matchesType(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** The destinations an org's notification rules give an event (conditions applied; rules cached briefly). */
export interface RuleDestinations {
  destinationsFor(
    event: CanonicalEvent,
  ): Promise<readonly { readonly ruleId: string; readonly destination: Destination }[]>;
}

/**
 * A pattern that can match something: a canonical type, a prefix of some, `*`, or the `custom.…`
 * types a sender of its own events uses. A typo (`nope.*`) would silently stop everything, so it is refused.
 */
export const KnownEventTypePatternSchema = EventTypePatternSchema.refine(
  (pattern) =>
    pattern.startsWith(CUSTOM_TYPE_PREFIX) || CANONICAL_TYPES.some((type) => matchesType(pattern, type)),
  {
    message: `names no event type the hub emits (a sender's own types start with ${CUSTOM_TYPE_PREFIX})`,
  },
);
