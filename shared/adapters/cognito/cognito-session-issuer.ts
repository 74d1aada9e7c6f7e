import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { ForbiddenError } from '../../errors';
import { ORG_CLAIM } from '../../identity/authenticate';
import type { PoolAccountBindings } from '../../identity/pool-accounts';
import type { Clock } from '../../ports/clock';
import { CUSTOM_CHALLENGE } from '../../sso/auth-challenge';
import type { IssuedSession, SessionIssuer } from '../../sso/session-issuer';
import {
  newSignInGrant,
  poolUsername,
  SIGN_IN_GRANT_METADATA,
  type SignInGrantStore,
} from '../../sso/sign-in-grants';

/**
 * Issues a session from the user pool for a sign-in the hub verified itself: the pool user (by
 * email, the pool's username) is made if missing — verified email, the org attribute the pre-token
 * trigger reads, no invitation — then signed in by the pool's custom auth, whose one challenge is
 * answered with a one-time grant's secret (shared/sso/auth-challenge.ts). The tokens are the pool's
 * own, with the pre-token trigger's claims, so the JWT authorizer needs nothing new.
 */
export class CognitoSessionIssuer implements SessionIssuer {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly pool: { readonly userPoolId: string; readonly clientId: string },
    private readonly grants: Pick<SignInGrantStore, 'put'>,
    private readonly accounts: PoolAccountBindings,
    private readonly clock: Clock,
  ) {}

  async issue(input: Parameters<SessionIssuer['issue']>[0]): Promise<IssuedSession> {
    const username = poolUsername(input.email);
    await this.ensureUser(username, input);
    const { grant, secret } = newSignInGrant(input, this.clock.now());
    await this.grants.put(grant);
    const { userPoolId: UserPoolId, clientId: ClientId } = this.pool;
    const started = await this.client.send(
      new AdminInitiateAuthCommand({
        UserPoolId,
        ClientId,
        AuthFlow: 'CUSTOM_AUTH',
        AuthParameters: { USERNAME: username },
      }),
    );
    if (started.ChallengeName !== CUSTOM_CHALLENGE || !started.Session) {
      throw new ForbiddenError('The user pool did not ask the sign-in grant');
    }
    const answered = await this.client.send(
      new AdminRespondToAuthChallengeCommand({
        UserPoolId,
        ClientId,
        ChallengeName: CUSTOM_CHALLENGE,
        Session: started.Session,
        // The pool's own username for the user (its `sub`, with email as the username attribute).
        ChallengeResponses: { USERNAME: started.ChallengeParameters?.USERNAME ?? username, ANSWER: secret },
        // Names the grant to the pre-token trigger, which gives the tokens its `amr`.
        ClientMetadata: { [SIGN_IN_GRANT_METADATA]: grant.grantId },
      }),
    );
    const tokens = answered.AuthenticationResult;
    if (!tokens?.IdToken || !tokens.AccessToken) {
      throw new ForbiddenError('The user pool refused the sign-in grant');
    }
    return {
      idToken: tokens.IdToken,
      accessToken: tokens.AccessToken,
      refreshToken: tokens.RefreshToken ?? null,
      expiresIn: tokens.ExpiresIn ?? 3600,
      tokenType: 'Bearer',
    };
  }

  /**
   * The pool user for the hub user: made on their first SSO sign-in, and bound to them at once
   * (`holdPoolAccountTo`); one of another org is refused. One bound to another hub user that had
   * this address, or bound to no one (made before bindings, or by an operator and never used), is
   * replaced: the IdP just vouched for this user, and an account with whatever password it had
   * must not become theirs.
   */
  private async ensureUser(
    username: string,
    input: { orgId: string; userId: string; name?: string },
  ): Promise<void> {
    const existing = await this.client
      .send(new AdminGetUserCommand({ UserPoolId: this.pool.userPoolId, Username: username }))
      .catch((error: unknown) => {
        if (error instanceof UserNotFoundException) return null;
        throw error;
      });
    if (existing) {
      const org = existing.UserAttributes?.find((a) => a.Name === ORG_CLAIM)?.Value;
      // The pool user is the email's one sign-in: an SSO sign-in for another org must not move it.
      if (org !== input.orgId) {
        throw new ForbiddenError("The email's user pool account belongs to another organisation");
      }
      const sub = existing.UserAttributes?.find((a) => a.Name === 'sub')?.Value ?? existing.Username ?? '';
      if ((await this.accounts.userOf(input.orgId, sub)) === input.userId) return;
      await this.client
        .send(new AdminDeleteUserCommand({ UserPoolId: this.pool.userPoolId, Username: username }))
        .catch((error: unknown) => {
          // Two sign-ins side by side: the other removed it.
          if (error instanceof UserNotFoundException) return;
          throw error;
        });
    }
    const created = await this.client
      .send(
        new AdminCreateUserCommand({
          UserPoolId: this.pool.userPoolId,
          Username: username,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: username },
            { Name: 'email_verified', Value: 'true' },
            { Name: ORG_CLAIM, Value: input.orgId },
            ...(input.name ? [{ Name: 'name', Value: input.name }] : []),
          ],
        }),
      )
      .catch((error: unknown) => {
        // Two first sign-ins side by side: the other made it (and binds it).
        if (error instanceof UsernameExistsException) return null;
        throw error;
      });
    const sub = created?.User?.Attributes?.find((a) => a.Name === 'sub')?.Value ?? created?.User?.Username;
    if (sub) await this.accounts.bind(input.orgId, sub, input.userId, this.clock.now());
  }
}
