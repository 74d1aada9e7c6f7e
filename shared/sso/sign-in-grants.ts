import { createHash, randomBytes } from 'node:crypto';

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
}

/** Where pending grants are kept: one per user at a time, a newer one replacing the older. */
export interface SignInGrantStore {
  put(grant: SignInGrant): Promise<void>;
  /** The user's pending grant, if any (expired ones included: the caller checks). */
  find(username: string): Promise<SignInGrant | null>;
  /** Removes the user's grant if it is still `grantId`: true for the one caller that removed it. */
  consume(username: string, grantId: string): Promise<boolean>;
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
