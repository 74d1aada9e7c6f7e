import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { PLATFORM_ADMIN_GROUP } from '../../shared/identity/authenticate';

/**
 * The user pool people sign in to (directly or federated from an enterprise IdP). The org id and
 * role live in custom attributes, and the email that maps a sign-in to its hub user in a standard
 * one, that no app client may write: only administrators set them.
 */
export class HubIdentity extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false, email: false },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      customAttributes: {
        org_id: new StringAttribute({ mutable: true, maxLen: 64 }),
        role: new StringAttribute({ mutable: true, maxLen: 32 }),
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is available to every user and required per organisation by its own setting; SSO users get MFA from their IdP.',
    });
    this.client = this.userPool.addClient('ApiClient', {
      // custom: the session of an SSO sign-in the hub verified, by a one-time grant (the Define,
      // Create and Verify Auth Challenge triggers); with no grant to answer, it signs no one in.
      // userPassword: the CLI's `hub login` (over TLS; the pool's threat protection sees it as it
      // sees SRP), then the authenticator app's code when the user enrolled one.
      authFlows: { userSrp: true, userPassword: true, custom: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.minutes(60),
      accessTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(1),
      // The display name only: no client may write custom:org_id or custom:role, nor the email the
      // pre-token trigger maps to a hub user (a user changing it could become another user).
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
    });
    new CfnUserPoolGroup(this, 'PlatformAdmins', {
      userPoolId: this.userPool.userPoolId,
      groupName: PLATFORM_ADMIN_GROUP,
      description: 'Operators of this installation: may create organisations',
    });
  }
}
