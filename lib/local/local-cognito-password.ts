import { randomBytes } from 'node:crypto';
import { generateSecret, verify } from 'otplib';
import { AMR_CLAIM } from '../../shared/identity/amr';
import { ORG_CLAIM, ROLE_CLAIM, USER_CLAIM } from '../../shared/identity/authenticate';
import type { RoleRef } from '../../shared/identity/permissions';
import type { TokenRequest } from '../../shared/identity/token-claims';
import type { DevTokenClaims } from './dev-issuer';
import { type LocalPoolUsers, type PoolUser, passwordMatches } from './local-pool-users';

/** What a call answers: its result, or the error Cognito would send (its `__type`). */
export type CognitoAnswer =
  | { readonly result: Record<string, unknown> }
  | { readonly error: { readonly type: string; readonly message: string } };

/** What the local pool's sign-ins need: the pre-token trigger's logic, the dev issuer, the clock. */
export interface PoolTokens {
  readonly clientId: string;
  /** The pre-token-generation trigger's claims (`makeTokenClaims`); throwing refuses the sign-in. */
  readonly tokenClaims: (request: TokenRequest) => Promise<Record<string, string>>;
  readonly mint: (claims: DevTokenClaims) => Promise<string>;
  /** Verifies one of the pool's access tokens (signature, issuer, `token_use`, `client_id`): its claims. */
  readonly verifyAccess: (token: string) => Promise<Record<string, unknown>>;
  readonly now: () => Date;
  /** Seconds the minted tokens live. @default 3600 */
  readonly tokenSeconds?: number;
}

export const fail = (type: string, message: string): CognitoAnswer => ({ error: { type, message } });
type Input = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const SESSION_SECONDS = 180;
/** The pool's password policy (lib/constructs/hub-identity.ts), as Cognito enforces it. */
const PASSWORD_POLICY = [/.{14,}/, /[0-9]/, /[a-z]/, /[A-Z]/, /[^A-Za-z0-9]/];

/** The tokens a pool sign-in ends with: the trigger's claims in both, and its `amr` as `custom:amr`. */
export async function issuePoolTokens(
  pool: PoolTokens,
  user: PoolUser,
  request: Omit<TokenRequest, 'userAttributes'> = {},
): Promise<CognitoAnswer> {
  const claims = await pool.tokenClaims({ ...request, userAttributes: user.attributes });
  const ttlSeconds = pool.tokenSeconds ?? 3600;
  const amr = claims[AMR_CLAIM];
  const token = (tokenUse: 'id' | 'access') =>
    pool.mint({
      sub: String(user.attributes.sub ?? user.username),
      email: user.attributes.email,
      orgId: claims[ORG_CLAIM],
      role: claims[ROLE_CLAIM] as RoleRef | undefined,
      userId: claims[USER_CLAIM],
      // The pool's tokens carry no `amr`; the trigger's claim says how the user signed in.
      amr: null,
      ...(amr ? { extraClaims: { [AMR_CLAIM]: amr } } : {}),
      authTime: Math.floor(pool.now().getTime() / 1000),
      ttlSeconds,
      tokenUse,
    });
  return {
    result: {
      ChallengeParameters: {},
      AuthenticationResult: {
        IdToken: await token('id'),
        AccessToken: await token('access'),
        // The dev issuer keeps no refresh sessions.
        ExpiresIn: ttlSeconds,
        TokenType: 'Bearer',
      },
    },
  };
}

/**
 * The local pool's password sign-in and authenticator apps, as the hub's users reach Cognito with
 * no AWS credentials (the public, token-authorised operations): `InitiateAuth` with
 * `USER_PASSWORD_AUTH` (then `SOFTWARE_TOKEN_MFA` for a user with an app enabled) and
 * `RespondToAuthChallenge`; `AssociateSoftwareToken`, `VerifySoftwareToken` and
 * `SetUserMFAPreference` with the user's access token; and, for administrators,
 * `AdminSetUserMFAPreference` and `AdminSetUserPassword`.
 */
export class LocalPasswordAuth {
  private readonly pending = new Map<string, { readonly email: string; readonly expiresAt: number }>();

  constructor(
    private readonly users: LocalPoolUsers,
    private readonly pool: PoolTokens | undefined,
  ) {}

  private requirePool(clientId: unknown): PoolTokens | CognitoAnswer {
    if (!this.pool) return fail('InvalidParameterException', 'Sign-in is not set up on this local pool');
    if (clientId !== this.pool.clientId)
      return fail('ResourceNotFoundException', 'User pool client does not exist.');
    return this.pool;
  }

  async initiateAuth(input: Input): Promise<CognitoAnswer> {
    const pool = this.requirePool(input.ClientId);
    if ('error' in pool || 'result' in pool) return pool;
    if (input.AuthFlow !== 'USER_PASSWORD_AUTH') {
      return fail(
        'InvalidParameterException',
        `The local pool signs in with USER_PASSWORD_AUTH (the CLI's flow), not ${String(input.AuthFlow)}`,
      );
    }
    const parameters = (input.AuthParameters as Input | undefined) ?? {};
    const user = this.users.find(str(parameters.USERNAME) ?? '');
    // One answer for a wrong password and an unknown user (preventUserExistenceErrors).
    if (!user || !passwordMatches(user.passwordHash, String(parameters.PASSWORD ?? ''))) {
      return fail('NotAuthorizedException', 'Incorrect username or password.');
    }
    if (user.totp?.enabled) {
      const session = randomBytes(32).toString('base64url');
      this.pending.set(session, {
        email: String(user.attributes.email),
        expiresAt: pool.now().getTime() + SESSION_SECONDS * 1000,
      });
      return {
        result: {
          ChallengeName: 'SOFTWARE_TOKEN_MFA',
          Session: session,
          ChallengeParameters: { USER_ID_FOR_SRP: user.username },
        },
      };
    }
    return issuePoolTokens(pool, user, { clientMetadata: metadataOf(input) });
  }

  async respondToAuthChallenge(input: Input): Promise<CognitoAnswer> {
    const pool = this.requirePool(input.ClientId);
    if ('error' in pool || 'result' in pool) return pool;
    const session = str(input.Session);
    const pending = session ? this.pending.get(session) : undefined;
    if (session) this.pending.delete(session);
    if (
      !pending ||
      pending.expiresAt <= pool.now().getTime() ||
      input.ChallengeName !== 'SOFTWARE_TOKEN_MFA'
    ) {
      return fail('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    }
    const responses = (input.ChallengeResponses as Input | undefined) ?? {};
    const user = this.users.find(str(responses.USERNAME) ?? '');
    if (!user || user.attributes.email !== pending.email || !user.totp?.enabled) {
      return fail('NotAuthorizedException', 'Invalid session for the user.');
    }
    if (!(await codeMatches(user.totp.secret, responses.SOFTWARE_TOKEN_MFA_CODE))) {
      return fail('CodeMismatchException', 'Invalid code received for user');
    }
    return issuePoolTokens(pool, user, { clientMetadata: metadataOf(input) });
  }

  async associateSoftwareToken(input: Input): Promise<CognitoAnswer> {
    const user = await this.userOfAccessToken(input.AccessToken);
    if ('error' in user) return user;
    const secret = generateSecret();
    // A new association replaces an unverified one; an enabled app stays until the new one verifies.
    this.users.save({ ...user, totp: { secret, verified: false, enabled: user.totp?.enabled ?? false } });
    return { result: { SecretCode: secret } };
  }

  async verifySoftwareToken(input: Input): Promise<CognitoAnswer> {
    const user = await this.userOfAccessToken(input.AccessToken);
    if ('error' in user) return user;
    if (!user.totp)
      return fail(
        'InvalidParameterException',
        'The user has no software token to verify: associate one first',
      );
    if (!(await codeMatches(user.totp.secret, input.UserCode))) {
      return fail('EnableSoftwareTokenMFAException', 'Code mismatch');
    }
    this.users.save({ ...user, totp: { ...user.totp, verified: true } });
    return { result: { Status: 'SUCCESS' } };
  }

  async setUserMfaPreference(input: Input): Promise<CognitoAnswer> {
    const user = await this.userOfAccessToken(input.AccessToken);
    if ('error' in user) return user;
    return this.setPreference(user, input.SoftwareTokenMfaSettings);
  }

  adminSetUserMfaPreference(input: Input): CognitoAnswer {
    const user = this.users.find(str(input.Username) ?? '');
    if (!user) return fail('UserNotFoundException', 'User does not exist.');
    return this.setPreference(user, input.SoftwareTokenMfaSettings);
  }

  adminSetUserPassword(input: Input): CognitoAnswer {
    const user = this.users.find(str(input.Username) ?? '');
    if (!user) return fail('UserNotFoundException', 'User does not exist.');
    const password = String(input.Password ?? '');
    if (!PASSWORD_POLICY.every((rule) => rule.test(password))) {
      return fail(
        'InvalidPasswordException',
        'Password does not conform to policy: at least 14 characters, with a digit, a lower-case and an upper-case letter, and a symbol',
      );
    }
    this.users.setPassword(user, password);
    return { result: {} };
  }

  /** The MFA settings as `AdminGetUser` reports them. */
  static mfaOf(user: PoolUser): Record<string, unknown> {
    return user.totp?.enabled
      ? { UserMFASettingList: ['SOFTWARE_TOKEN_MFA'], PreferredMfaSetting: 'SOFTWARE_TOKEN_MFA' }
      : {};
  }

  private setPreference(user: PoolUser, settings: unknown): CognitoAnswer {
    const enabled = (settings as { Enabled?: unknown } | undefined)?.Enabled;
    if (typeof enabled !== 'boolean') return { result: {} };
    if (enabled && !user.totp?.verified) {
      return fail('InvalidParameterException', 'User has not verified software token mfa');
    }
    // Disabling forgets the app: enabling again needs a new association, as in Cognito.
    this.users.save(
      enabled && user.totp ? { ...user, totp: { ...user.totp, enabled: true } } : omitTotp(user),
    );
    return { result: {} };
  }

  private async userOfAccessToken(
    token: unknown,
  ): Promise<PoolUser | { error: { type: string; message: string } }> {
    const invalid = fail('NotAuthorizedException', 'Invalid Access Token') as {
      error: { type: string; message: string };
    };
    if (!this.pool || typeof token !== 'string') return invalid;
    const claims = await this.pool.verifyAccess(token).catch(() => null);
    const user = typeof claims?.sub === 'string' ? this.users.find(claims.sub) : null;
    return user ?? invalid;
  }
}

const omitTotp = ({ totp: _totp, ...user }: PoolUser): PoolUser => user;
const metadataOf = (input: Input): Record<string, string> | undefined =>
  typeof input.ClientMetadata === 'object' && input.ClientMetadata !== null
    ? (input.ClientMetadata as Record<string, string>)
    : undefined;

/** A six-digit code of the app's secret, one 30-second step either side allowed (clock drift). */
async function codeMatches(secret: string, code: unknown): Promise<boolean> {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return false;
  return (await verify({ secret, token: code, epochTolerance: 30 })).valid;
}
