import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  CognitoIdentityProviderClient,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import {
  DEV_AUDIENCE,
  devIssuerKey,
  ISSUER_PATH,
  mintDevToken,
  publicJwks,
  verifyDevAccessToken,
} from '../../lib/local/dev-issuer';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { LocalCognito } from '../../lib/local/local-cognito';
import { functionCredentials, LocalIam } from '../../lib/local/local-iam';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import { CognitoSessionIssuer } from '../../shared/adapters/cognito/cognito-session-issuer';
import { DynamoDbAccessStore } from '../../shared/adapters/dynamodb/dynamodb-access-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbPoolAccounts } from '../../shared/adapters/dynamodb/dynamodb-pool-accounts';
import { DynamoDbSignInGrants } from '../../shared/adapters/dynamodb/dynamodb-sign-in-grants';
import { DynamoDbUserStore } from '../../shared/adapters/dynamodb/dynamodb-user-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeRoleGuard } from '../../shared/authz/role-guard';
import { AMR_CLAIM } from '../../shared/identity/amr';
import { ORG_CLAIM, ROLE_CLAIM, USER_CLAIM } from '../../shared/identity/authenticate';
import { makeJwtVerify } from '../../shared/identity/jwt-verifier';
import { makeTokenClaims } from '../../shared/identity/token-claims';
import { newSignInGrant, SIGN_IN_GRANT_METADATA } from '../../shared/sso/sign-in-grants';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { makeProvisionUser } from '../../shared/tenancy/manage-users';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

const request: RequestContext = { requestId: 'req-sso', ip: '127.0.0.1', userAgent: 'jest' };
let aws: LocalAws;
let emulator: AwsEmulator;
let jwks: Server;
let issuer: string;
const now = new Date();
const clock = { now: () => now };
const refusals: string[] = [];
let accounts: DynamoDbPoolAccounts;

beforeAll(async () => {
  aws = await startLocalAws();
  const key = await devIssuerKey(aws.dir);
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(publicJwks(key)));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}${ISSUER_PATH}`;
  const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
  accounts = new DynamoDbPoolAccounts(aws.docs, aws.tables.domainTable);
  const cognito = new LocalCognito(aws.dir, {
    clientId: DEV_AUDIENCE,
    grants,
    tokenClaims: makeTokenClaims({
      orgs: new DynamoDbOrgStore(aws.docs, aws.tables),
      users: new DynamoDbUserStore(aws.docs, aws.tables),
      grants,
      accounts,
      clock,
    }),
    mint: (claims) => mintDevToken(key, issuer, claims),
    verifyAccess: (token) => verifyDevAccessToken(key, issuer, token),
    now: clock.now,
  });
  emulator = await startAwsEmulator({
    sqs: aws.sqs,
    queueUrls: {
      events: '',
      mail: '',
      sync: '',
      reconcile: '',
      notify: '',
      deliveries: '',
      mailFeedback: '',
      realtime: '',
      chat: '',
    },
    kms: new LocalKms(aws.dir),
    cognito,
    iam: new LocalIam(localCredentials.accessKeyId, (reason) => refusals.push(reason)),
  });
});
afterAll(async () => {
  await emulator?.stop();
  await new Promise((resolve) => jwks?.close(resolve));
  await aws?.stop();
});

const client = (credentials = localCredentials) =>
  new CognitoIdentityProviderClient({ endpoint: emulator.endpoint, region: localNames.region, credentials });
const POOL = { userPoolId: localNames.userPoolId, clientId: DEV_AUDIENCE };

async function orgWithUser(slug: string, role?: string) {
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const users = new DynamoDbUserStore(aws.docs, aws.tables);
  const mayGrant = makeRoleGuard(new DynamoDbAccessStore(aws.docs, aws.tables));
  const org = await makeCreateOrg({ orgs, clock })({ name: slug, slug }, platformAdmin, request);
  const user = await makeProvisionUser({ orgs, users, clock, mayGrant })(
    org.id,
    { email: `Ada@${slug}.test`, name: 'Ada', ...(role ? { role } : {}) },
    platformAdmin,
    request,
  );
  return { org, user };
}

describe('the local user pool signs an SSO sign-in in by custom auth', () => {
  it("issues an ID token the hub's JWT verifier accepts, with the hub user's org, id and role, and the sign-in's amr", async () => {
    const { org, user } = await orgWithUser(`sso-a-${Date.now()}`, 'admin');
    const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
    const issued = await new CognitoSessionIssuer(client(), POOL, grants, accounts, clock).issue({
      orgId: org.id,
      userId: user.id,
      email: user.email,
      name: user.name,
      amr: ['ext', 'mfa'],
      connectionId: 'sso_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
    });
    expect(issued).toMatchObject({ refreshToken: null, tokenType: 'Bearer', expiresIn: 3600 });

    const verify = makeJwtVerify({
      kind: 'oidc',
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      audience: DEV_AUDIENCE,
    });
    const claims = await verify(issued.idToken);
    expect(claims).toMatchObject({
      token_use: 'id',
      email: user.email.toLowerCase(),
      [ORG_CLAIM]: org.id,
      [USER_CLAIM]: user.id,
      [ROLE_CLAIM]: 'admin',
      // As in AWS: the pool's tokens carry no `amr`; the pre-token trigger's claim says how.
      [AMR_CLAIM]: 'ext mfa',
      auth_time: Math.floor(now.getTime() / 1000),
    });
    expect(claims.amr).toBeUndefined();
    // Only ID tokens pass the hub's verifier: the access token is not one.
    await expect(verify(issued.accessToken)).rejects.toThrow(/Audience|ID tokens/);
    // The grant is spent (kept without its secret, for refreshes' `amr`).
    expect(await grants.find(user.email.toLowerCase())).toMatchObject({ spentAt: now, secretHash: '' });

    // A second sign-in reuses the pool user the first one made.
    const again = await new CognitoSessionIssuer(client(), POOL, grants, accounts, clock).issue({
      orgId: org.id,
      userId: user.id,
      email: user.email,
      amr: ['ext'],
      connectionId: 'sso_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
    });
    expect((await verify(again.idToken))[AMR_CLAIM]).toBe('ext');
  });

  it("binds the pool account to its first token's user, and replaces one bound to a user that had the address before", async () => {
    const { org, user } = await orgWithUser(`sso-r-${Date.now()}`);
    const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
    const issue = () =>
      new CognitoSessionIssuer(client(), POOL, grants, accounts, clock).issue({
        orgId: org.id,
        userId: user.id,
        email: user.email,
        amr: ['ext'],
        connectionId: 'sso_1',
      });
    const subOf = async () =>
      (
        await client().send(new AdminGetUserCommand({ UserPoolId: POOL.userPoolId, Username: user.email }))
      ).UserAttributes?.find((a) => a.Name === 'sub')?.Value ?? '';
    await issue();
    const first = await subOf();
    expect(await accounts.userOf(org.id, first)).toBe(user.id);
    await issue();
    expect(await subOf()).toBe(first);

    // The account is another hub user's (the address was theirs before): the IdP vouched for this
    // user, so the old account goes and a new one, bound to this user, signs them in.
    await aws.docs.send(
      new DeleteCommand({
        TableName: aws.tables.domainTable,
        Key: { PK: `T#${org.id}#POOLACCT`, SK: first },
      }),
    );
    expect(await accounts.bind(org.id, first, 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3F9', now)).toBe(
      'usr_01JD3Q4ZK8M7X2V9N6B5C4D3F9',
    );
    const issued = await issue();
    const replaced = await subOf();
    expect(replaced).not.toBe(first);
    expect(await accounts.userOf(org.id, replaced)).toBe(user.id);
    expect(issued.idToken).toEqual(expect.any(String));
  });

  it('refuses a sign-in whose client metadata names a grant that was not just spent for its user', async () => {
    const { org, user } = await orgWithUser(`sso-m-${Date.now()}`);
    const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
    await new CognitoSessionIssuer(client(), POOL, grants, accounts, clock).issue({
      orgId: org.id,
      userId: user.id,
      email: user.email,
      amr: ['ext', 'mfa'],
      connectionId: 'sso_1',
    });
    const made = newSignInGrant(
      { orgId: org.id, userId: user.id, email: user.email, amr: ['ext'], connectionId: 'sso_1' },
      now,
    );
    await grants.put(made.grant);
    const started = await client().send(
      new AdminInitiateAuthCommand({
        UserPoolId: POOL.userPoolId,
        ClientId: POOL.clientId,
        AuthFlow: 'CUSTOM_AUTH',
        AuthParameters: { USERNAME: user.email },
      }),
    );
    await expect(
      client().send(
        new AdminRespondToAuthChallengeCommand({
          UserPoolId: POOL.userPoolId,
          ClientId: POOL.clientId,
          ChallengeName: 'CUSTOM_CHALLENGE',
          Session: started.Session,
          ChallengeResponses: {
            USERNAME: String(started.ChallengeParameters?.USERNAME),
            ANSWER: made.secret,
          },
          // A caller claiming an earlier SSO sign-in's second factor for this one.
          ClientMetadata: { [SIGN_IN_GRANT_METADATA]: 'an-earlier-grant' },
        }),
      ),
    ).rejects.toThrow(/not just spent/);
  });

  it('refuses a replayed grant secret, a wrong one, and an expired grant', async () => {
    const { org, user } = await orgWithUser(`sso-b-${Date.now()}`);
    const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
    // The pool user, as a first sign-in makes it.
    await new CognitoSessionIssuer(client(), POOL, grants, accounts, clock).issue({
      orgId: org.id,
      userId: user.id,
      email: user.email,
      amr: ['ext'],
      connectionId: 'sso_1',
    });
    const answerWith = async (secret: string) => {
      const started = await client().send(
        new AdminInitiateAuthCommand({
          UserPoolId: POOL.userPoolId,
          ClientId: POOL.clientId,
          AuthFlow: 'CUSTOM_AUTH',
          AuthParameters: { USERNAME: user.email },
        }),
      );
      return client().send(
        new AdminRespondToAuthChallengeCommand({
          UserPoolId: POOL.userPoolId,
          ClientId: POOL.clientId,
          ChallengeName: 'CUSTOM_CHALLENGE',
          Session: started.Session,
          ChallengeResponses: { USERNAME: String(started.ChallengeParameters?.USERNAME), ANSWER: secret },
        }),
      );
    };
    const grantFor = async (at: Date) => {
      const made = newSignInGrant(
        { orgId: org.id, userId: user.id, email: user.email, amr: ['ext'], connectionId: 'sso_1' },
        at,
      );
      await grants.put(made.grant);
      return made.secret;
    };

    const secret = await grantFor(now);
    await expect(answerWith(`${secret}-not`)).rejects.toBeInstanceOf(NotAuthorizedException);
    // A wrong answer does not spend the grant: the real one still signs in, once.
    expect((await answerWith(secret)).AuthenticationResult?.IdToken).toEqual(expect.any(String));
    await expect(answerWith(secret)).rejects.toBeInstanceOf(NotAuthorizedException);

    const stale = await grantFor(new Date(now.getTime() - 121_000));
    await expect(answerWith(stale)).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it('refuses, as the pre-token trigger does, a sign-in whose email is no hub user of the org', async () => {
    const { org } = await orgWithUser(`sso-c-${Date.now()}`);
    const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
    await expect(
      new CognitoSessionIssuer(client(), POOL, grants, accounts, clock).issue({
        orgId: org.id,
        userId: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
        email: 'stranger@elsewhere.test',
        amr: ['ext'],
        connectionId: 'sso_1',
      }),
    ).rejects.toThrow(/has no user with this email/);
  });

  it('spends a grant once when two answers race for it, and keeps it from a spend naming another grant', async () => {
    const grants = new DynamoDbSignInGrants(aws.docs, aws.tables.domainTable);
    const { grant } = newSignInGrant(
      { orgId: 'org_1', userId: 'usr_1', email: 'Race@acme.test', amr: ['ext'], connectionId: 'sso_1' },
      now,
    );
    await grants.put(grant);
    const keep = new Date(now.getTime() + 86_400_000);
    expect(await grants.consume('race@acme.test', 'another-grant', now, keep)).toBe(false);
    expect(await grants.find('race@acme.test')).toEqual(grant);
    const spent = await Promise.all([
      grants.consume('race@acme.test', grant.grantId, now, keep),
      grants.consume('race@acme.test', grant.grantId, now, keep),
    ]);
    expect(spent.filter(Boolean)).toHaveLength(1);
    // Kept for the pre-token trigger's `amr`, its secret gone: it cannot be spent again.
    const kept = await grants.find('race@acme.test');
    expect(kept).toMatchObject({ grantId: grant.grantId, spentAt: now, secretHash: '', amr: ['ext'] });
    expect(await grants.consume('race@acme.test', grant.grantId, now, keep)).toBe(false);
  });

  it('lets only a function declaring user-pool:custom-auth start a custom auth', async () => {
    await expect(
      client(functionCredentials('setUserStatus')).send(
        new AdminInitiateAuthCommand({
          UserPoolId: POOL.userPoolId,
          ClientId: POOL.clientId,
          AuthFlow: 'CUSTOM_AUTH',
          AuthParameters: { USERNAME: 'ada@acme.test' },
        }),
      ),
    ).rejects.toThrow(/not authorized to perform: cognito-idp:AdminInitiateAuth/);
    expect(refusals.some((r) => r.startsWith('cognito-idp:AdminInitiateAuth'))).toBe(true);
  });
});
