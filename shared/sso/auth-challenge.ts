import { timingSafeEqual } from 'node:crypto';
import { ORG_CLAIM } from '../identity/authenticate';
import {
  hashGrantSecret,
  poolUsername,
  type SignInGrant,
  type SignInGrantStore,
  SPENT_GRANT_KEPT_SECONDS,
} from './sign-in-grants';

/**
 * The user pool's custom authentication, as the hub uses it: after the hub verified an SSO sign-in
 * it makes a one-time grant and answers the pool's one challenge with the grant's secret. Cognito
 * calls these through its Define, Create and Verify Auth Challenge triggers; the local runtime's
 * user pool calls the very same functions.
 */

export const CUSTOM_CHALLENGE = 'CUSTOM_CHALLENGE';
/** What the challenge is, in the session Cognito keeps (no secret). */
export const GRANT_CHALLENGE_METADATA = 'SSO_SIGN_IN_GRANT';

/** One step already taken in the sign-in, as Cognito lists them in `request.session`. */
export interface ChallengeStep {
  readonly challengeName: string;
  readonly challengeResult: boolean;
  readonly challengeMetadata?: string | undefined;
}

export interface DefineAnswer {
  readonly challengeName?: typeof CUSTOM_CHALLENGE;
  readonly issueTokens: boolean;
  readonly failAuthentication: boolean;
}

/**
 * Define: one custom challenge, then tokens if it was answered right; anything else (an unknown
 * user, a wrong answer, a second attempt, another kind of challenge) fails the sign-in.
 */
export function defineAuthChallenge(input: {
  readonly session: readonly ChallengeStep[];
  readonly userNotFound?: boolean | undefined;
}): DefineAnswer {
  const fail = { issueTokens: false, failAuthentication: true } as const;
  if (input.userNotFound) return fail;
  const [first, ...rest] = input.session;
  if (!first) return { challengeName: CUSTOM_CHALLENGE, issueTokens: false, failAuthentication: false };
  if (rest.length === 0 && first.challengeName === CUSTOM_CHALLENGE && first.challengeResult === true) {
    return { issueTokens: true, failAuthentication: false };
  }
  return fail;
}

export interface CreateAnswer {
  readonly publicChallengeParameters: Record<string, string>;
  readonly privateChallengeParameters: Record<string, string>;
  readonly challengeMetadata: string;
}

/** Reads the user attributes Cognito passes a trigger: the username the grants are kept by. */
const usernameOf = (userAttributes: Readonly<Record<string, string | undefined>>): string | null =>
  userAttributes.email ? poolUsername(userAttributes.email) : null;

/**
 * Create: nothing public (the caller already holds the secret); privately, the id of the user's
 * pending grant, so Verify accepts that grant only — or none, which no answer can satisfy.
 */
export function makeCreateAuthChallenge(deps: { grants: Pick<SignInGrantStore, 'find'> }) {
  return async (input: {
    readonly userAttributes: Readonly<Record<string, string | undefined>>;
  }): Promise<CreateAnswer> => {
    const username = usernameOf(input.userAttributes);
    const grant = username ? await deps.grants.find(username) : null;
    return {
      publicChallengeParameters: {},
      privateChallengeParameters: { grantId: grant?.grantId ?? '' },
      challengeMetadata: GRANT_CHALLENGE_METADATA,
    };
  };
}

const sameSecret = (answer: string, secretHash: string): boolean => {
  const given = Buffer.from(hashGrantSecret(answer), 'utf8');
  const kept = Buffer.from(secretHash, 'utf8');
  return given.length === kept.length && timingSafeEqual(given, kept);
};

/**
 * Verify: the answer is the secret of the grant Create named, which names this user and org and
 * has not expired; the grant is spent by one conditional delete, so a replay finds none. Returns
 * the grant spent, or null for a wrong answer. A wrong answer leaves the grant in place: an
 * attempt by someone without the secret cannot spoil the real sign-in.
 */
export function makeVerifyAuthChallenge(deps: {
  grants: Pick<SignInGrantStore, 'find' | 'consume'>;
  now: () => Date;
}) {
  return async (input: {
    readonly userAttributes: Readonly<Record<string, string | undefined>>;
    readonly privateChallengeParameters: Readonly<Record<string, string | undefined>>;
    readonly challengeAnswer: string;
  }): Promise<SignInGrant | null> => {
    const grantId = input.privateChallengeParameters.grantId;
    const username = usernameOf(input.userAttributes);
    if (!grantId || !username || !input.challengeAnswer) return null;
    const grant = await deps.grants.find(username);
    if (!grant || grant.grantId !== grantId || grant.spentAt) return null;
    if (!sameSecret(input.challengeAnswer, grant.secretHash)) return null;
    if (grant.username !== username || grant.orgId !== input.userAttributes[ORG_CLAIM]) return null;
    if (grant.expiresAt.getTime() <= deps.now().getTime()) return null;
    const now = deps.now();
    const keepUntil = new Date(now.getTime() + SPENT_GRANT_KEPT_SECONDS * 1000);
    return (await deps.grants.consume(username, grantId, now, keepUntil)) ? grant : null;
  };
}
