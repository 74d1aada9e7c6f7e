import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  AdminSetUserMFAPreferenceCommand,
  AssociateSoftwareTokenCommand,
  CodeMismatchException,
  EnableSoftwareTokenMFAException,
  NotAuthorizedException,
  SetUserMFAPreferenceCommand,
  UserNotFoundException,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AccessTokenRefusedError, type AuthenticatorApps } from '../../ports/authenticator-apps';
import type { User } from '../../tenancy/user';

const refusedToken = (error: unknown): never => {
  if (error instanceof NotAuthorizedException) {
    throw new AccessTokenRefusedError('The user pool refused the access token', { cause: error });
  }
  throw error;
};

/**
 * Software-token MFA of the Cognito user pool: `AssociateSoftwareToken`, `VerifySoftwareToken`
 * and `SetUserMFAPreference` with the user's access token (no IAM: the token is the authority),
 * `AdminSetUserMFAPreference` to turn an app off. The pool's username is the user's email.
 */
export class CognitoAuthenticatorApps implements AuthenticatorApps {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async associate(accessToken: string): Promise<{ secretCode: string }> {
    const out = await this.client
      .send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }))
      .catch(refusedToken);
    if (!out.SecretCode) throw new Error('The user pool returned no secret for the authenticator app');
    return { secretCode: out.SecretCode };
  }

  async verify(accessToken: string, code: string, deviceName: string): Promise<boolean> {
    try {
      const out = await this.client.send(
        new VerifySoftwareTokenCommand({
          AccessToken: accessToken,
          UserCode: code,
          FriendlyDeviceName: deviceName,
        }),
      );
      return out.Status === 'SUCCESS';
    } catch (error) {
      if (error instanceof EnableSoftwareTokenMFAException || error instanceof CodeMismatchException)
        return false;
      return refusedToken(error);
    }
  }

  async enable(accessToken: string): Promise<void> {
    await this.client
      .send(
        new SetUserMFAPreferenceCommand({
          AccessToken: accessToken,
          SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
        }),
      )
      .catch(refusedToken);
  }

  async disable(user: Pick<User, 'email'>): Promise<void> {
    try {
      await this.client.send(
        new AdminSetUserMFAPreferenceCommand({
          UserPoolId: this.userPoolId,
          Username: user.email,
          SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
        }),
      );
    } catch (error) {
      if (error instanceof UserNotFoundException) return;
      throw error;
    }
  }
}
