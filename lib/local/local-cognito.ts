import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORG_CLAIM } from '../../shared/identity/authenticate';
import {
  type ChallengeStep,
  CUSTOM_CHALLENGE,
  defineAuthChallenge,
  makeCreateAuthChallenge,
  makeVerifyAuthChallenge,
} from '../../shared/sso/auth-challenge';
import { poolUsername, type SignInGrantStore } from '../../shared/sso/sign-in-grants';
import {
  type CognitoAnswer,
  fail,
  issuePoolTokens,
  LocalPasswordAuth,
  type PoolTokens,
} from './local-cognito-password';
import { LocalPoolUsers, type PoolUser } from './local-pool-users';

/** One `AdminUserGlobalSignOut`: the pool, the username it named, and when. */
export interface SignOut {
  readonly userPoolId: string;
  readonly username: string;
  readonly at: string;
}

export type { CognitoAnswer } from './local-cognito-password';

export const SIGN_OUTS_FILE = 'cognito-sign-outs.jsonl';
export const USERS_FILE = 'cognito-users.json';

/**
 * What the local pool's custom auth needs to play Cognito's: the same grant store the Verify trigger
 * spends (on DynamoDB Local), the pre-token trigger's claims logic, the dev issuer, and the clock.
 */
export interface LocalSignIn extends PoolTokens {
  readonly grants: SignInGrantStore;
}

/** A custom auth under way: the challenge Create made, until it is answered (once) or expires. */
interface PendingAuth {
  readonly email: string;
  readonly privateChallengeParameters: Record<string, string>;
  readonly expiresAt: number;
}

const SESSION_SECONDS = 180;
type Input = Record<string, unknown>;
/** The operations Cognito authorises by the user's own token or password, not by IAM. */
export const TOKEN_AUTHORISED_OPERATIONS: ReadonlySet<string> = new Set([
  'InitiateAuth',
  'RespondToAuthChallenge',
  'AssociateSoftwareToken',
  'VerifySoftwareToken',
  'SetUserMFAPreference',
]);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const asAttributes = (list: unknown): Record<string, string> =>
  Object.fromEntries(
    (Array.isArray(list) ? list : []).flatMap((a: { Name?: unknown; Value?: unknown }) =>
      typeof a?.Name === 'string' && typeof a.Value === 'string' ? [[a.Name, a.Value]] : [],
    ),
  );
const attributeList = (attributes: Record<string, string>) =>
  Object.entries(attributes).map(([Name, Value]) => ({ Name, Value }));

/**
 * The local stand-in for the Cognito user pool's admin API, as far as the hub calls it:
 * `AdminUserGlobalSignOut` (each sign-out is kept in the data dir, so the dev issuer's token minting
 * can refuse a session begun before it, and a test can see a deactivation signed its user out);
 * `AdminGetUser`/`AdminCreateUser` (users kept in the data dir); and the custom auth an SSO sign-in
 * is issued by, `AdminInitiateAuth` (CUSTOM_AUTH) and `AdminRespondToAuthChallenge`, which run the
 * same Define, Create and Verify logic as the pool's triggers and, on success, the pre-token
 * trigger's claims, into tokens of the dev issuer.
 */
export class LocalCognito {
  private readonly file: string;
  private readonly pool: LocalPoolUsers;
  private readonly password: LocalPasswordAuth;
  private readonly pending = new Map<string, PendingAuth>();

  constructor(
    dataDir: string,
    private readonly signIn?: LocalSignIn,
  ) {
    this.file = join(dataDir, SIGN_OUTS_FILE);
    this.pool = new LocalPoolUsers(join(dataDir, USERS_FILE));
    this.password = new LocalPasswordAuth(this.pool, signIn);
  }

  /** Answers one call of the JSON protocol (`X-Amz-Target: AWSCognitoIdentityProviderService.<operation>`). */
  async call(operation: string, input: Input): Promise<CognitoAnswer> {
    const userPoolId = str(input.UserPoolId);
    if (operation === 'AdminUserGlobalSignOut') return this.signOut(userPoolId, str(input.Username));
    const byToken: Record<string, () => Promise<CognitoAnswer>> = {
      InitiateAuth: () => this.password.initiateAuth(input),
      RespondToAuthChallenge: () => this.password.respondToAuthChallenge(input),
      AssociateSoftwareToken: () => this.password.associateSoftwareToken(input),
      VerifySoftwareToken: () => this.password.verifySoftwareToken(input),
      SetUserMFAPreference: () => this.password.setUserMfaPreference(input),
    };
    const public_ = byToken[operation];
    if (public_) return this.refusingOnTriggerError(public_);
    const handlers: Record<string, (pool: string) => CognitoAnswer | Promise<CognitoAnswer>> = {
      AdminGetUser: () => this.getUser(input),
      AdminCreateUser: () => this.createUser(input),
      AdminDeleteUser: () =>
        this.pool.remove(str(input.Username) ?? '')
          ? { result: {} }
          : fail('UserNotFoundException', 'User does not exist.'),
      AdminInitiateAuth: () => this.initiateAuth(input),
      AdminRespondToAuthChallenge: () => this.respondToAuthChallenge(input),
      AdminSetUserMFAPreference: () => this.password.adminSetUserMfaPreference(input),
      AdminSetUserPassword: () => this.password.adminSetUserPassword(input),
    };
    const handle = handlers[operation];
    if (!handle) return fail('UnknownOperationException', `Cognito ${operation} is not emulated`);
    if (!userPoolId) return fail('InvalidParameterException', 'UserPoolId is required');
    return this.refusingOnTriggerError(() => handle(userPoolId));
  }

  private async refusingOnTriggerError(
    handle: () => CognitoAnswer | Promise<CognitoAnswer>,
  ): Promise<CognitoAnswer> {
    try {
      return await handle();
    } catch (error) {
      // A trigger that throws makes Cognito refuse the sign-in, naming the trigger.
      return fail('UserLambdaValidationException', `The sign-in was refused: ${(error as Error).message}`);
    }
  }

  /** Every sign-out so far, oldest first. */
  signOuts(): SignOut[] {
    return readSignOuts(this.file);
  }

  private signOut(userPoolId: string | null, username: string | null): CognitoAnswer {
    if (!userPoolId || !username) {
      return fail('InvalidParameterException', 'UserPoolId and Username are required');
    }
    const signOut: SignOut = { userPoolId, username, at: new Date().toISOString() };
    appendFileSync(this.file, `${JSON.stringify(signOut)}\n`, { mode: 0o600 });
    return { result: {} };
  }

  private findUser(name: string): PoolUser | null {
    return this.pool.find(name);
  }

  /**
   * The local stand-in for an operator's `admin-create-user` and `admin-set-user-password`: the
   * pool user of a hub user who signs in with a password (made if missing, in the org), and its password.
   */
  setPassword(input: { email: string; orgId: string; password: string }): CognitoAnswer {
    let user = this.findUser(input.email);
    if (!user) {
      const made = this.createUser({
        Username: input.email,
        UserAttributes: [
          { Name: 'email_verified', Value: 'true' },
          { Name: ORG_CLAIM, Value: input.orgId },
        ],
      });
      if ('error' in made) return made;
      user = this.findUser(input.email);
    }
    if (user?.attributes[ORG_CLAIM] !== input.orgId) {
      return fail('InvalidParameterException', "The email's pool user belongs to another organisation");
    }
    return this.password.adminSetUserPassword({ Username: input.email, Password: input.password });
  }

  private getUser(input: Input): CognitoAnswer {
    const name = str(input.Username);
    if (!name) return fail('InvalidParameterException', 'Username is required');
    const user = this.findUser(name);
    if (!user) return fail('UserNotFoundException', 'User does not exist.');
    return {
      result: {
        Username: user.username,
        UserAttributes: attributeList(user.attributes),
        UserStatus: user.status,
        Enabled: true,
        UserCreateDate: user.createdAt,
        ...LocalPasswordAuth.mfaOf(user),
      },
    };
  }

  private createUser(input: Input): CognitoAnswer {
    const name = str(input.Username);
    // The pool signs in by email: its username is an email address.
    if (!name || !/^[^@\s]+@[^@\s]+$/.test(name)) {
      return fail('InvalidParameterException', 'Username should be an email.');
    }
    const email = poolUsername(name);
    if (this.pool.all()[email])
      return fail('UsernameExistsException', 'An account with the given email already exists.');
    const sub = randomUUID();
    const user: PoolUser = {
      username: sub,
      attributes: { ...asAttributes(input.UserAttributes), email, sub },
      // No invitation is sent locally whatever MessageAction says: there is no temporary password.
      status: 'FORCE_CHANGE_PASSWORD',
      createdAt: Math.floor(Date.now() / 1000),
    };
    this.pool.save(user);
    return {
      result: {
        User: {
          Username: user.username,
          Attributes: attributeList(user.attributes),
          UserStatus: user.status,
          Enabled: true,
          UserCreateDate: user.createdAt,
        },
      },
    };
  }

  private requireSignIn(clientId: unknown): LocalSignIn | CognitoAnswer {
    if (!this.signIn)
      return fail('InvalidParameterException', 'Custom auth is not set up on this local pool');
    if (clientId !== this.signIn.clientId)
      return fail('ResourceNotFoundException', 'User pool client does not exist.');
    return this.signIn;
  }

  private async initiateAuth(input: Input): Promise<CognitoAnswer> {
    const signIn = this.requireSignIn(input.ClientId);
    if ('error' in signIn || 'result' in signIn) return signIn;
    if (input.AuthFlow !== 'CUSTOM_AUTH') {
      return fail(
        'InvalidParameterException',
        `The local pool plays CUSTOM_AUTH only, not ${String(input.AuthFlow)}`,
      );
    }
    const name = str((input.AuthParameters as Input | undefined)?.USERNAME);
    if (!name) return fail('InvalidParameterException', 'Missing required parameter USERNAME');
    const user = this.findUser(name);
    const defined = defineAuthChallenge({ session: [], userNotFound: user === null });
    if (!user || defined.failAuthentication || defined.challengeName !== CUSTOM_CHALLENGE) {
      return fail('NotAuthorizedException', 'Incorrect username or password.');
    }
    const created = await makeCreateAuthChallenge({ grants: signIn.grants })({
      userAttributes: user.attributes,
    });
    const session = randomBytes(32).toString('base64url');
    this.pending.set(session, {
      email: poolUsername(user.attributes.email ?? name),
      privateChallengeParameters: created.privateChallengeParameters,
      expiresAt: signIn.now().getTime() + SESSION_SECONDS * 1000,
    });
    return {
      result: {
        ChallengeName: CUSTOM_CHALLENGE,
        Session: session,
        ChallengeParameters: { ...created.publicChallengeParameters, USERNAME: user.username },
      },
    };
  }

  private async respondToAuthChallenge(input: Input): Promise<CognitoAnswer> {
    const signIn = this.requireSignIn(input.ClientId);
    if ('error' in signIn || 'result' in signIn) return signIn;
    const session = str(input.Session);
    const pending = session ? this.pending.get(session) : undefined;
    // A session answers once: Define allows one attempt.
    if (session) this.pending.delete(session);
    if (!pending || pending.expiresAt <= signIn.now().getTime()) {
      return fail('NotAuthorizedException', 'Invalid session for the user.');
    }
    const responses = (input.ChallengeResponses as Input | undefined) ?? {};
    const user = this.findUser(str(responses.USERNAME) ?? '');
    if (
      input.ChallengeName !== CUSTOM_CHALLENGE ||
      !user ||
      poolUsername(user.attributes.email ?? '') !== pending.email
    ) {
      return fail('NotAuthorizedException', 'Invalid session for the user.');
    }
    const grant = await makeVerifyAuthChallenge({ grants: signIn.grants, now: signIn.now })({
      userAttributes: user.attributes,
      privateChallengeParameters: pending.privateChallengeParameters,
      challengeAnswer: String(responses.ANSWER ?? ''),
    });
    const steps: ChallengeStep[] = [{ challengeName: CUSTOM_CHALLENGE, challengeResult: grant !== null }];
    const defined = defineAuthChallenge({ session: steps });
    if (!grant || !defined.issueTokens)
      return fail('NotAuthorizedException', 'Incorrect username or password.');
    // The pre-token trigger's claims (with the grant the issuer named), as the pool adds them to both tokens.
    return issuePoolTokens(signIn, user, {
      clientMetadata: input.ClientMetadata as Record<string, string> | undefined,
    });
  }
}

/** The sign-outs kept in a data dir (read by the CLI's token minting, which runs in another process). */
export function signOutsIn(dataDir: string): SignOut[] {
  return readSignOuts(join(dataDir, SIGN_OUTS_FILE));
}

/** When `username` was last signed out, if ever. */
export function lastSignOut(dataDir: string, username: string): Date | null {
  const wanted = username.toLowerCase();
  const times = signOutsIn(dataDir)
    .filter((s) => s.username.toLowerCase() === wanted)
    .map((s) => new Date(s.at).getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : null;
}

function readSignOuts(file: string): SignOut[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SignOut);
}
