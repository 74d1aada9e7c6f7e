import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `AdminUserGlobalSignOut`: the pool, the username it named, and when. */
export interface SignOut {
  readonly userPoolId: string;
  readonly username: string;
  readonly at: string;
}

/** What a call answers: its result, or the error Cognito would send (its `__type`). */
export type CognitoAnswer =
  | { readonly result: Record<string, unknown> }
  | { readonly error: { readonly type: string; readonly message: string } };

export const SIGN_OUTS_FILE = 'cognito-sign-outs.jsonl';

/**
 * The local stand-in for the Cognito user pool's admin API, as far as the hub calls it
 * (`AdminUserGlobalSignOut`): each sign-out is kept in the data dir, so the dev issuer's token
 * minting can refuse a session begun before it (as a refresh token would stop working) and a test
 * can see that a deactivation signed its user out.
 */
export class LocalCognito {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, SIGN_OUTS_FILE);
  }

  /** Answers one call of the JSON protocol (`X-Amz-Target: AWSCognitoIdentityProviderService.<operation>`). */
  call(operation: string, input: Record<string, unknown>): CognitoAnswer {
    if (operation !== 'AdminUserGlobalSignOut') {
      return {
        error: { type: 'UnknownOperationException', message: `Cognito ${operation} is not emulated` },
      };
    }
    const { UserPoolId, Username } = input;
    if (
      typeof UserPoolId !== 'string' ||
      UserPoolId === '' ||
      typeof Username !== 'string' ||
      Username === ''
    ) {
      return {
        error: { type: 'InvalidParameterException', message: 'UserPoolId and Username are required' },
      };
    }
    const signOut: SignOut = { userPoolId: UserPoolId, username: Username, at: new Date().toISOString() };
    appendFileSync(this.file, `${JSON.stringify(signOut)}\n`, { mode: 0o600 });
    return { result: {} };
  }

  /** Every sign-out so far, oldest first. */
  signOuts(): SignOut[] {
    return readSignOuts(this.file);
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
