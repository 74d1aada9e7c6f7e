import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../audit/audit-record';
import type { RelyingParty } from '../../config/config';
import { HubError, NotFoundError } from '../../errors';

/** At most this many passkeys per user: a few devices and security keys, never a collection. */
export const MAX_PASSKEYS_PER_USER = 10;

/** How long a registration's or a sign-in's challenge may be answered, once. */
export const PASSKEY_CHALLENGE_SECONDS = 300;

/** The transports an authenticator may report (WebAuthn's `AuthenticatorTransport`). */
export const PASSKEY_TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
export type PasskeyTransport = (typeof PASSKEY_TRANSPORTS)[number];

/** A user's passkey: a WebAuthn credential the hub verified at registration, and its use since. */
export interface Passkey {
  /** The hub's id of it (`pkey_…`). */
  readonly id: string;
  readonly orgId: string;
  readonly userId: string;
  /** The credential's id, as the authenticator gave it (base64url). */
  readonly credentialId: string;
  /** The credential's public key (COSE, base64url). */
  readonly publicKey: string;
  /** The authenticator's signature counter at its last use (0: it keeps none). */
  readonly counter: number;
  readonly transports: readonly PasskeyTransport[];
  readonly name: string;
  /** Synced across the user's devices (a multi-device credential), as the authenticator says. */
  readonly backedUp: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** Which user a credential signs in: the platform lookup from a credential's id, before any org is known. */
export interface PasskeyLookup {
  readonly orgId: string;
  readonly userId: string;
  readonly passkeyId: string;
}

/** Users' passkeys, in their org's partition, and the platform lookup from each credential's id. */
export interface PasskeyStore {
  /** The user's passkeys, oldest first (at most `MAX_PASSKEYS_PER_USER`). */
  listOf(orgId: string, userId: string): Promise<Passkey[]>;
  get(orgId: string, userId: string, passkeyId: string): Promise<Passkey | null>;
  /**
   * Adds the passkey and its lookup with its audit record; refuses (ConflictError) a credential
   * already registered, anywhere, and a user's passkey beyond `limit`.
   */
  add(passkey: Passkey, audit: AuditRecord, limit: number): Promise<void>;
  /** Removes the passkey (its lookup first: a half-done removal leaves it unusable, never dangling). */
  remove(passkey: Passkey, audit: AuditRecord): Promise<void>;
  lookup(credentialId: string): Promise<PasskeyLookup | null>;
  /**
   * Records a sign-in with the passkey: its new counter, which must be above the kept one when
   * either is non-zero (a cloned authenticator's counter falls behind). False when it was not.
   */
  recordUse(passkey: Passkey, counter: number, at: string): Promise<boolean>;
}

/** The single-use challenges of registrations (bound to their user) and sign-ins under way. */
export interface PasskeyChallengeStore {
  /** The user's registration challenge; a newer one replaces the older. */
  putRegistration(orgId: string, userId: string, challenge: string, expiresAt: Date): Promise<void>;
  /** Spends the user's registration challenge: it, if one was pending and unexpired, else null. */
  takeRegistration(orgId: string, userId: string, now: Date): Promise<string | null>;
  putSignIn(challenge: string, expiresAt: Date): Promise<void>;
  /** Spends a sign-in's challenge: true for the one caller that found it pending and unexpired. */
  takeSignIn(challenge: string, now: Date): Promise<boolean>;
}

/** The WebAuthn user handle of a hub user: their id's bytes (no email, no personal data). */
export const userHandleOf = (userId: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(Buffer.from(userId, 'utf8'));

/** SHA-256 of a value, base64url: how a credential id or a challenge names its platform item. */
export const hashOf = (value: string): string =>
  createHash('sha256').update(value, 'utf8').digest('base64url');

/** The installation's relying party, or the refusal of a hub whose passkeys are not configured. */
export function requireRelyingParty(relyingParty: RelyingParty | null): RelyingParty {
  if (!relyingParty)
    throw new NotFoundError(
      'Passkeys are not configured for this installation: its operator sets the relying party (CDK context passkeyRelyingPartyId and passkeyOrigins)',
    );
  return relyingParty;
}

/** Why a passkey sign-in was refused: logged for the operator, never told to the caller. */
export type PasskeySignInRefusal =
  | 'challenge_unknown'
  | 'credential_unknown'
  | 'org_inactive'
  | 'user_inactive'
  | 'user_handle_mismatch'
  | 'assertion_invalid'
  | 'counter_regressed'
  | 'session_not_issued';

/**
 * A refused passkey sign-in. The caller hears the same for every reason (no telling whether a
 * credential, a user or an org exists); the reason stays on the error for the function's log.
 */
export class PasskeySignInRefusedError extends HubError {
  readonly status = 401;
  readonly code = 'passkey-sign-in-refused';
  readonly title = 'Sign-in refused';
  constructor(
    readonly reason: PasskeySignInRefusal,
    options?: { cause?: unknown },
  ) {
    super(
      'The passkey sign-in was refused: ask for new options and try again, or sign in another way',
      options,
    );
  }
}
