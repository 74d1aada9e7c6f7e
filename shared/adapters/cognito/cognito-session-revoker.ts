import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  AdminUserGlobalSignOutCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { SessionRevoker } from '../../ports/session-revoker';
import type { User } from '../../tenancy/user';

/**
 * Signs a hub user out of the Cognito user pool (AdminUserGlobalSignOut): every refresh token the
 * user holds stops working. The pool signs people in by email, so a hub user's Cognito username is
 * their email — Cognito resolves it to the pool's user, whose `sub` is not the hub user's id.
 */
export class CognitoSessionRevoker implements SessionRevoker {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async signOut(user: Pick<User, 'email'>): Promise<void> {
    try {
      await this.client.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: user.email }),
      );
    } catch (error) {
      // A hub user who never signed in to the pool (API keys only, or not yet) has no sessions to end.
      if (error instanceof UserNotFoundException) return;
      throw error;
    }
  }
}
