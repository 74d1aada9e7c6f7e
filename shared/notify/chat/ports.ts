import type { PostedRef } from '../../chat/model';

/**
 * Who a hub user is on a chat platform: the identity links the bot keeps (org, provider,
 * platform user id) → hub user, read the other way. Null when the user never linked.
 */
export interface ChatIdentities {
  platformUserOf(orgId: string, provider: string, userId: string): Promise<string | null>;
}

/** Which providers play the chat part (from the provider catalog: this layer names none). */
export interface ChatProviders {
  has(provider: string): boolean;
}

/** The card posted for one item in one conversation: the thread its later events update and reply in. */
export interface PostedRefKey {
  readonly orgId: string;
  readonly connectionId: string;
  /** The conversation as the target names it (`C…`, or `user:<id>` for a DM). */
  readonly conversation: string;
  /** The item the events are about (`itemKeyOf`). */
  readonly threadKey: string;
}

export type PostedCardState =
  | {
      readonly kind: 'posted';
      readonly ref: PostedRef;
      /** When the event the card now shows happened: an older event never replaces it. */
      readonly shownEventAt: string;
    }
  | {
      /** A first card being posted by another attempt, until `until` (its lease). */
      readonly kind: 'posting';
      readonly until: string;
    };

/** The cards posted per item and conversation, claimed before the first is posted (one card per item). */
export interface PostedRefStore {
  find(key: PostedRefKey): Promise<PostedCardState | null>;
  /**
   * Claims the right to post the item's first card: true when there was none (or a claim whose
   * lease ran out); false when a card exists or another attempt holds the claim.
   */
  claim(key: PostedRefKey, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Records the posted card (the claim becomes it), kept for `ttlDays` after its last event. */
  record(key: PostedRefKey, ref: PostedRef, shownEventAt: string, ttlDays: number): Promise<void>;
  /** Gives up a claim whose post failed (only the owner's, and only while no card is recorded). */
  release(key: PostedRefKey, owner: string): Promise<void>;
  /** Notes that the card now shows a later event; false when it already shows one as late or later. */
  noteShown(key: PostedRefKey, shownEventAt: string, ttlDays: number): Promise<boolean>;
}
