import type { CanonicalEvent } from '../../events/canonical-event';
import type { Page, PageRequest } from '../../ports/stores';
import type { DeliveryMessage, DeliveryTarget, NotificationChannel, SendOutcome } from '../model';

/** What a message on the deliveries queue says: which message, and at which attempt count it is due. */
export interface DeliveryOrder {
  readonly orgId: string;
  readonly messageId: string;
  /** The message's attempt count when this order was queued: an order it has moved past is stale. */
  readonly attempt: number;
  /** A resend or a recovery: one attempt, no retries scheduled after it. */
  readonly manual?: true;
  /** The message's event, when the sender knew it: read side by side with the message. */
  readonly eventId?: string;
  /** The rate window (epoch second) reserved for this order when it was put back: counted already. */
  readonly slot?: number;
}

/**
 * One recorded attempt to deliver a message, or a drop: `dropped` records that no request was made
 * (the endpoint was disabled or deleted, the event expired) and spends no attempt.
 */
export interface DeliveryAttempt {
  /** `att_…`: sorts by time. */
  readonly id: string;
  readonly orgId: string;
  readonly messageId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly channel: string;
  /** The endpoint, for webhook messages (attempts are listed by endpoint). */
  readonly endpointId?: string;
  readonly status: 'succeeded' | 'failed' | 'dropped';
  readonly at: string;
  readonly attempt: number;
  readonly statusCode?: number;
  readonly durationMs: number;
  /** At most 1 KiB of what the destination answered. */
  readonly responseExcerpt?: string;
  readonly error?: string;
  readonly manual?: boolean;
  /** A drop that recovery re-sends: its endpoint was disabled, and may be enabled again. */
  readonly recoverable?: boolean;
}

/** Messages, their attempts, the events they carry (stored once), and per-destination rate windows. */
export interface DeliveryStore {
  /**
   * Stores the event once for its messages (kept until `expiresAt`): whole, however large (one too
   * large for the table goes to the claim-check store); `getEvent` gives it back without `claim`.
   */
  putEvent(event: CanonicalEvent, expiresAt: Date): Promise<void>;
  getEvent(orgId: string, eventId: string): Promise<CanonicalEvent | null>;
  /** Creates each message unless it exists; answers with the ones that already did, as stored. */
  createMessages(messages: readonly DeliveryMessage[]): Promise<{ existing: DeliveryMessage[] }>;
  getMessage(orgId: string, messageId: string): Promise<DeliveryMessage | null>;
  /**
   * Replaces the message's state if it still has `expectedAttempts` attempts and the status it had
   * when read, with the attempt (if any) written in the same transaction. False when it had moved on.
   */
  saveMessage(
    next: DeliveryMessage,
    expected: Pick<DeliveryMessage, 'attempts' | 'status'>,
    attempt?: DeliveryAttempt,
  ): Promise<boolean>;
  /** The endpoint's attempts, newest first, all or only those with `status`. */
  listAttempts(
    orgId: string,
    endpointId: string,
    status: DeliveryAttempt['status'] | undefined,
    page: PageRequest,
  ): Promise<Page<DeliveryAttempt>>;
  /** A message's attempts, newest first (bounded). */
  messageAttempts(orgId: string, messageId: string, limit: number): Promise<DeliveryAttempt[]>;
  /**
   * The ids of the messages to the endpoint that failed for good, or were dropped while it was
   * disabled, at or after `since` (their last attempt, else when dropped), oldest first.
   */
  failedSince(orgId: string, endpointId: string, since: Date, limit: number): Promise<string[]>;
  /**
   * Counts one delivery in the key's current window (`windowSeconds` long, one second unless
   * told; it holds `perSecond × windowSeconds`); false when the window is full.
   */
  consumeRate(
    orgId: string,
    key: string,
    perSecond: number,
    now: Date,
    windowSeconds?: number,
  ): Promise<boolean>;
  /**
   * Counts one delivery in the first window from `now` on that has room, at most
   * `horizonSeconds` ahead: the seconds until that window (0: now), or null when none has room.
   */
  reserveRate?(
    orgId: string,
    key: string,
    perSecond: number,
    now: Date,
    horizonSeconds: number,
    windowSeconds?: number,
  ): Promise<number | null>;
}

/** Whether a target takes a delivery now. */
export type Readiness =
  | {
      readonly kind: 'ready';
      /**
       * The destination's pace: `perSecond` on average over windows of `windowSeconds` (one unless
       * told), so a longer window lets a short burst through where the platform allows one.
       */
      readonly rateLimit?: {
        readonly key: string;
        readonly perSecond: number;
        readonly windowSeconds?: number;
      };
    }
  | {
      readonly kind: 'drop';
      readonly reason: string;
      /** The destination is disabled, not gone: the message is kept for recovery once it is enabled again. */
      readonly recoverable?: true;
    };

/**
 * A channel as the delivery worker drives it: the contract's channel, and optionally what a
 * destination with its own state (a webhook endpoint: enabled, rate limited, healthy or not) adds.
 */
export interface DeliveryChannel<T extends DeliveryTarget = DeliveryTarget> extends NotificationChannel<T> {
  /** Reads the destination before an attempt: disabled or gone means the message is dropped. */
  readiness?(message: DeliveryMessage & { readonly target: T }): Promise<Readiness>;
  /** Told each attempt's outcome, to keep the destination's health (failing since, disabled on 410). */
  observe?(message: DeliveryMessage & { readonly target: T }, outcome: SendOutcome, at: Date): Promise<void>;
}
