import { createHash, randomBytes } from 'node:crypto';
import { SECOND_FACTORS } from '../identity/amr';

/**
 * A one-time sign-in grant: the hub verified an SSO sign-in and lets the user pool's custom
 * authentication sign this user in once, within a short window, by its secret. Only the secret's
 * hash is stored; the secret travels once, as the challenge answer.
 */
export interface SignInGrant {
  readonly grantId: string;
  /** The user pool's username of the user (their email, lowercased): the grant is found by it. */
  readonly username: string;
  readonly orgId: string;
  readonly userId: string;
  readonly amr: readonly string[];
  readonly connectionId: string;
  /** SHA-256 of the secret, base64url. */
  readonly secretHash: string;
  readonly expiresAt: Date;
  /**
   * When Verify spent it. A spent grant is kept (its secret gone) for as long as the session's
   * refresh tokens last, so the pre-token trigger can say how the session authenticated (`amr`),
   * on the sign-in and on each refresh; it can never be spent again.
   */
  readonly spentAt?: Date | undefined;
}

/** Where pending grants are kept: one per user at a time, a newer one replacing the older. */
export interface SignInGrantStore {
  put(grant: SignInGrant): Promise<void>;
  /** The user's pending grant, if any (expired ones included: the caller checks). */
  find(username: string): Promise<SignInGrant | null>;
  /**
   * Spends the user's grant if it is still `grantId` and unspent: true for the one caller that
   * spent it. The spent grant stays (without its secret) until `keepUntil`.
   */
  consume(username: string, grantId: string, spentAt: Date, keepUntil: Date): Promise<boolean>;
}

/** How long a spent grant is kept: the app client's refresh-token validity (one day). */
export const SPENT_GRANT_KEPT_SECONDS = 24 * 3600;

/** The client metadata key the session issuer names its grant by, for the pre-token trigger. */
export const SIGN_IN_GRANT_METADATA = 'hubSignInGrant';

/**
 * How an SSO session authenticated, for the pre-token trigger: on the sign-in, the grant the
 * issuer names in the client metadata (only the issuer knows its id), spent moments ago for this
 * very user. `null`: not an SSO sign-in. A sign-in naming a grant that does not match is refused
 * (throws), never given a password's `amr`.
 *
 * A refresh cannot say which session it belongs to (the pool tells the trigger nothing of it):
 * while the user has spent a grant within the refresh tokens' lifetime, it may be the SSO session
 * or a password one, so it is given the IdP's `ext` and no second factor — neither kind of session
 * can borrow the other's. An org requiring MFA has its SSO users sign in again when their ID token
 * expires (through the IdP's own session).
 */
export function ssoAmrOf(
  grant: SignInGrant | null,
  sign: {
    readonly grantId?: string | undefined;
    readonly refresh: boolean;
    readonly userId: string;
    readonly orgId: string;
  },
  now: Date,
): readonly string[] | null {
  const mine = grant?.spentAt && grant.userId === sign.userId && grant.orgId === sign.orgId ? grant : null;
  if (sign.grantId !== undefined) {
    if (
      !mine ||
      mine.grantId !== sign.grantId ||
      now.getTime() - (mine.spentAt?.getTime() ?? 0) > SIGN_IN_GRANT_SECONDS * 1000
    ) {
      throw new Error('The sign-in names a sign-in grant that was not just spent for this user');
    }
    return mine.amr;
  }
  return sign.refresh && mine ? mine.amr.filter((m) => !SECOND_FACTORS.has(m)) : null;
}

/** How long a grant may be spent after it is made. */
export const SIGN_IN_GRANT_SECONDS = 120;

/** The pool's username for a hub user: their email, as Cognito compares it. */
export const poolUsername = (email: string): string => email.trim().toLowerCase();

/** SHA-256 of a grant secret, base64url. */
export const hashGrantSecret = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('base64url');

/** A new grant and its secret (the secret is not in the grant). */
export function newSignInGrant(
  input: { orgId: string; userId: string; email: string; amr: readonly string[]; connectionId: string },
  now: Date,
): { grant: SignInGrant; secret: string } {
  const secret = randomBytes(32).toString('base64url');
  return {
    secret,
    grant: {
      grantId: randomBytes(16).toString('base64url'),
      username: poolUsername(input.email),
      orgId: input.orgId,
      userId: input.userId,
      amr: [...input.amr],
      connectionId: input.connectionId,
      secretHash: hashGrantSecret(secret),
      expiresAt: new Date(now.getTime() + SIGN_IN_GRANT_SECONDS * 1000),
    },
  };
}
