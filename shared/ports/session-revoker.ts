import type { User } from '../tenancy/user';

/** Ends a person's sessions at the identity provider, so their refresh tokens stop working. */
export interface SessionRevoker {
  /** Signs the user out everywhere; a user the provider does not know has no sessions, which is no error. */
  signOut(user: Pick<User, 'orgId' | 'id' | 'email'>): Promise<void>;
}

/** Where tokens come from an issuer that keeps no sessions (the local dev issuer mints them standalone). */
export const noSessionsToEnd: SessionRevoker = { signOut: async () => undefined };
