import { ForbiddenError } from '../errors';

/**
 * Which hub user each user pool account signs in as. The pool finds its account by email, and the
 * pre-token trigger finds the hub user by email too — so an address that moves from one hub user
 * to another (SCIM renames a leaver's address, a new starter gets the old one) would let the old
 * account, with its password, sign in as the new user. The first token an account gets binds its
 * `sub` to the hub user it signed in as, for good: a later sign-in or refresh through it that maps
 * to any other user is refused.
 */
export interface PoolAccountBindings {
  /** The hub user the pool account `sub` is bound to in the org, if any. */
  userOf(orgId: string, sub: string): Promise<string | null>;
  /** Binds the account to `userId` unless it is bound already; the user it is bound to after. */
  bind(orgId: string, sub: string, userId: string, at: Date): Promise<string>;
}

/** Refuses a pool account bound to another hub user; binds an unbound one to this user. */
export async function holdPoolAccountTo(
  bindings: PoolAccountBindings,
  account: { readonly orgId: string; readonly sub: string | undefined },
  userId: string,
  at: Date,
): Promise<void> {
  if (!account.sub) throw new ForbiddenError('The sign-in names no user pool account');
  const bound =
    (await bindings.userOf(account.orgId, account.sub)) ??
    (await bindings.bind(account.orgId, account.sub, userId, at));
  if (bound !== userId) {
    throw new ForbiddenError(
      "This user pool account was made for another hub user that had this address; an operator deletes it and makes the new user's own",
    );
  }
}
