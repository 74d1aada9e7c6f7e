import type { AuditRecord } from '../audit/audit-record';
import type { ChatCard, ChatWork } from './model';

/** A platform user linked to a hub user of the org the installation is bound to. */
export interface IdentityLink {
  readonly orgId: string;
  readonly provider: string;
  readonly platformUserId: string;
  readonly userId: string;
  /** The connection (installation) it was made through. */
  readonly connectionId: string;
  /** How: the platform's verified email matched the hub user's, or the person followed a signed link. */
  readonly via: 'email' | 'link';
  readonly linkedAt: string;
}

/**
 * How storing a link went: links are 1:1 per workspace (connection), so a platform user already
 * linked to another hub user, or a hub user already linked to another platform account of the same
 * workspace, is refused until that link is removed.
 */
export type IdentityLinkPut = 'linked' | 'platform_user_taken' | 'user_taken';

/** Identity links under the org's partition, one per (provider, platform user). */
export interface IdentityLinkStore {
  find(orgId: string, provider: string, platformUserId: string): Promise<IdentityLink | null>;
  /**
   * Stores the link with its audit record, atomically refusing (nothing written) one that would
   * make the platform user or the hub user linked twice; linking the same pair again is `linked`.
   */
  put(link: IdentityLink, audit: AuditRecord): Promise<IdentityLinkPut>;
  /** The platform user a hub user is linked to in a workspace (connection), if any. */
  accountIn(orgId: string, provider: string, connectionId: string, userId: string): Promise<string | null>;
  /** Removes the platform user's link (and its way back), with its audit record; the link removed, or null. */
  remove(
    orgId: string,
    provider: string,
    platformUserId: string,
    audit: AuditRecord,
  ): Promise<IdentityLink | null>;
}

/** Single use of signed tokens: a token's nonce is claimed once, until it would have expired anyway. */
export interface UsedTokens {
  /** True the first time, false when the nonce was claimed before. */
  claim(nonce: string, expiresAt: Date): Promise<boolean>;
}

/** A chat platform's app settings as stored: encrypted whole, with their non-secret fields. */
export interface StoredChatApp {
  readonly provider: string;
  readonly encrypted: string;
  /** The non-secret fields, for `GET` (secret ones are never returned). */
  readonly summary: Readonly<Record<string, string>>;
  readonly updatedAt: string;
}

/** The deployment's chat app settings, platform items (one per provider). */
export interface ChatAppStore {
  get(provider: string): Promise<StoredChatApp | null>;
  /** Stores the settings with its audit record; `onlyIfAbsent` leaves settings already there (false then). */
  put(app: StoredChatApp, audit: AuditRecord | null, options?: { onlyIfAbsent?: boolean }): Promise<boolean>;
}

/** Puts verified, acknowledged chat work on the `chat` queue. */
export interface ChatWorkQueue {
  enqueue(work: readonly ChatWork[]): Promise<void>;
}

/** Runs a piece of work once per key (a replay or a concurrent duplicate does nothing). */
export interface OnceRunner {
  once(key: string, run: () => Promise<void>): Promise<'done' | 'duplicate'>;
}

/** How an approval answer went, for the person who clicked. */
export interface ApprovalAnswerResult {
  readonly status: 'decided' | 'already_decided' | 'expired' | 'not_allowed' | 'not_found';
  /** The approval's message as it now stands (who decided, what): replaces the one clicked. */
  readonly card?: ChatCard;
}

/**
 * The approvals a chat button answers (`approval:<approvalId>:<option>` action ids): implemented by
 * the approvals feature (`shared/approvals/`). The first authorised answer wins; the answer is
 * audited with the platform as its channel.
 */
export interface ApprovalAnswers {
  answer(input: {
    readonly orgId: string;
    readonly approvalId: string;
    readonly option: string;
    /** The hub user who answered (matched from the platform user). */
    readonly userId: string;
    /** The platform it was answered from (a chat provider's id). */
    readonly channel: string;
  }): Promise<ApprovalAnswerResult>;
}

/** How counting a person's chat work went: within the rate, just over it (say so once), or past that. */
export interface ChatRateOutcome {
  readonly outcome: 'allowed' | 'over' | 'silent';
  /** Seconds until the next window, when not allowed. */
  readonly retryAfterSeconds: number;
}

/**
 * Each chat user's rate of work (commands, buttons) in an org: every piece counts, whether it is
 * then run or refused (unmatched, RBAC, Cedar), so a refused person cannot hammer the bot for free.
 */
export interface ChatRateLimiter {
  consume(
    orgId: string,
    who: { readonly provider: string; readonly platformUserId: string },
    at: Date,
  ): Promise<ChatRateOutcome>;
}
