import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  CognitoIdentityProviderClient,
  NotAuthorizedException,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { CognitoSessionIssuer } from '../../../../shared/adapters/cognito/cognito-session-issuer';
import { ForbiddenError } from '../../../../shared/errors';
import { hashGrantSecret, type SignInGrant } from '../../../../shared/sso/sign-in-grants';

const cognito = mockClient(CognitoIdentityProviderClient);
beforeEach(() => cognito.reset());

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const NOW = new Date('2026-12-03T12:00:00.000Z');
const POOL = { userPoolId: 'eu-west-1_pool', clientId: 'client-1' };
const input = {
  orgId: ORG,
  userId: 'usr_1',
  email: 'Ada@Acme.test',
  name: 'Ada Lovelace',
  amr: ['ext', 'mfa'],
  connectionId: 'sso_1',
};

const setUp = (bound: Record<string, string> = {}) => {
  const grants: SignInGrant[] = [];
  const bindings: string[] = [];
  const issuer = new CognitoSessionIssuer(
    new CognitoIdentityProviderClient({}),
    POOL,
    { put: async (g) => void grants.push(g) },
    {
      userOf: async (orgId, sub) => (orgId === ORG ? (bound[sub] ?? null) : null),
      bind: async (orgId, sub, userId) => {
        bindings.push(`${orgId}/${sub}→${userId}`);
        return userId;
      },
    },
    { now: () => NOW },
  );
  return { grants, bindings, issuer };
};

const signsIn = () => {
  cognito.on(AdminInitiateAuthCommand).resolves({
    ChallengeName: 'CUSTOM_CHALLENGE',
    Session: 'session-1',
    ChallengeParameters: { USERNAME: '7f9c-sub' },
  });
  cognito.on(AdminRespondToAuthChallengeCommand).resolves({
    AuthenticationResult: {
      IdToken: 'id.jwt',
      AccessToken: 'access.jwt',
      RefreshToken: 'refresh',
      ExpiresIn: 3600,
      TokenType: 'Bearer',
    },
  });
};

describe('issuing a session from the user pool for a verified SSO sign-in', () => {
  it("makes the missing pool user (verified email, the org, no invitation), then answers custom auth with a fresh grant's secret", async () => {
    cognito
      .on(AdminGetUserCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    cognito.on(AdminCreateUserCommand).resolves({
      User: { Username: '7f9c-sub', Attributes: [{ Name: 'sub', Value: '7f9c-sub' }] },
    });
    signsIn();
    const { grants, bindings, issuer } = setUp();

    const session = await issuer.issue(input);

    expect(session).toEqual({
      idToken: 'id.jwt',
      accessToken: 'access.jwt',
      refreshToken: 'refresh',
      expiresIn: 3600,
      tokenType: 'Bearer',
    });
    expect(cognito).toHaveReceivedCommandWith(AdminCreateUserCommand, {
      UserPoolId: POOL.userPoolId,
      Username: 'ada@acme.test',
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: 'ada@acme.test' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'custom:org_id', Value: ORG },
        { Name: 'name', Value: 'Ada Lovelace' },
      ],
    });
    // Bound at once to the hub user it was made for: no one else's sign-in can take it over.
    expect(bindings).toEqual([`${ORG}/7f9c-sub→usr_1`]);
    expect(cognito).toHaveReceivedCommandWith(AdminInitiateAuthCommand, {
      UserPoolId: POOL.userPoolId,
      ClientId: POOL.clientId,
      AuthFlow: 'CUSTOM_AUTH',
      AuthParameters: { USERNAME: 'ada@acme.test' },
    });
    const [grant] = grants;
    expect(grant).toMatchObject({
      username: 'ada@acme.test',
      orgId: ORG,
      userId: 'usr_1',
      amr: ['ext', 'mfa'],
      connectionId: 'sso_1',
      expiresAt: new Date(NOW.getTime() + 120_000),
    });
    const respond = cognito.commandCalls(AdminRespondToAuthChallengeCommand)[0]?.args[0].input;
    expect(respond).toMatchObject({
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: 'session-1',
      ClientId: POOL.clientId,
    });
    expect(respond?.ChallengeResponses?.USERNAME).toBe('7f9c-sub');
    // The answer is the grant's secret, of which only the hash was stored.
    const answer = String(respond?.ChallengeResponses?.ANSWER);
    expect(hashGrantSecret(answer)).toBe(grant?.secretHash);
    expect(JSON.stringify(grant)).not.toContain(answer);
  });

  it('signs in an existing pool user of the org bound to this user without making it again, and tolerates a racing creation', async () => {
    cognito.on(AdminGetUserCommand).resolves({
      Username: '7f9c-sub',
      UserAttributes: [{ Name: 'custom:org_id', Value: ORG }],
    });
    signsIn();
    await setUp({ '7f9c-sub': 'usr_1' }).issuer.issue(input);
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 0);

    cognito.reset();
    cognito
      .on(AdminGetUserCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    cognito
      .on(AdminCreateUserCommand)
      .rejects(new UsernameExistsException({ message: 'exists', $metadata: {} }));
    signsIn();
    await expect(setUp().issuer.issue(input)).resolves.toMatchObject({ idToken: 'id.jwt' });
  });

  it("replaces the email's pool account when it is bound to another hub user that had the address", async () => {
    cognito.on(AdminGetUserCommand).resolves({
      Username: '7f9c-sub',
      UserAttributes: [
        { Name: 'sub', Value: '7f9c-sub' },
        { Name: 'custom:org_id', Value: ORG },
      ],
    });
    cognito.on(AdminDeleteUserCommand).resolves({});
    cognito.on(AdminCreateUserCommand).resolves({});
    signsIn();
    await setUp({ '7f9c-sub': 'usr_leaver' }).issuer.issue(input);
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, {
      UserPoolId: POOL.userPoolId,
      Username: 'ada@acme.test',
    });
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 1);

    // Bound to no one (an operator's, never used): replaced too, whatever password it had.
    cognito.resetHistory();
    await setUp().issuer.issue(input);
    expect(cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 1);
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 1);

    // Bound to this very user: kept as it is.
    cognito.resetHistory();
    await setUp({ '7f9c-sub': 'usr_1' }).issuer.issue(input);
    expect(cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 0);
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 0);
  });

  it('refuses to move a pool user of another org, before any grant is made', async () => {
    cognito.on(AdminGetUserCommand).resolves({
      Username: '7f9c-sub',
      UserAttributes: [{ Name: 'custom:org_id', Value: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E3' }],
    });
    const { grants, issuer } = setUp();
    await expect(issuer.issue(input)).rejects.toBeInstanceOf(ForbiddenError);
    expect(grants).toEqual([]);
    expect(cognito).toHaveReceivedCommandTimes(AdminInitiateAuthCommand, 0);
  });

  it('passes on a refusal of the pool (a suspended org fails in the pre-token trigger), and a local null refresh token', async () => {
    cognito
      .on(AdminGetUserCommand)
      .resolves({ Username: '7f9c-sub', UserAttributes: [{ Name: 'custom:org_id', Value: ORG }] });
    cognito
      .on(AdminInitiateAuthCommand)
      .resolves({ ChallengeName: 'CUSTOM_CHALLENGE', Session: 's', ChallengeParameters: {} });
    cognito
      .on(AdminRespondToAuthChallengeCommand)
      .rejectsOnce(new NotAuthorizedException({ message: 'PreTokenGeneration failed', $metadata: {} }))
      .resolves({ AuthenticationResult: { IdToken: 'i', AccessToken: 'a', ExpiresIn: 900 } });
    const bound = { '7f9c-sub': 'usr_1' };
    await expect(setUp(bound).issuer.issue(input)).rejects.toBeInstanceOf(NotAuthorizedException);
    expect(await setUp(bound).issuer.issue(input)).toEqual({
      idToken: 'i',
      accessToken: 'a',
      refreshToken: null,
      expiresIn: 900,
      tokenType: 'Bearer',
    });
    expect(
      cognito.commandCalls(AdminRespondToAuthChallengeCommand)[1]?.args[0].input.ChallengeResponses?.USERNAME,
    ).toBe('ada@acme.test');
  });

  it('refuses when the pool asks no custom challenge', async () => {
    cognito
      .on(AdminGetUserCommand)
      .resolves({ Username: '7f9c-sub', UserAttributes: [{ Name: 'custom:org_id', Value: ORG }] });
    cognito.on(AdminInitiateAuthCommand).resolves({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' });
    await expect(setUp({ '7f9c-sub': 'usr_1' }).issuer.issue(input)).rejects.toBeInstanceOf(ForbiddenError);
    expect(cognito).toHaveReceivedCommandTimes(AdminRespondToAuthChallengeCommand, 0);
  });
});
