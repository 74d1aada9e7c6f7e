import { createInterface } from 'node:readline/promises';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Command } from 'commander';
import { CliError, call, print } from './context';
import { orgOf } from './sessions';

/** Where the CLI signs in: the user pool's endpoint (AWS's regional one by default), app client and region. */
interface Pool {
  readonly endpoint?: string;
  readonly clientId: string;
  readonly region: string;
}

interface LoginOptions {
  email: string;
  passwordStdin?: boolean;
  code?: string;
  clientId?: string;
  region?: string;
  poolEndpoint?: string;
}

/** The app client to sign in with: given, or (on one machine) the local runtime's own pool. */
async function poolOf(o: LoginOptions): Promise<Pool> {
  if (o.clientId) {
    const region = o.region ?? process.env.AWS_REGION;
    if (!region) throw new CliError('Give --region (or AWS_REGION) with --client-id');
    return { clientId: o.clientId, region, ...(o.poolEndpoint ? { endpoint: o.poolEndpoint } : {}) };
  }
  try {
    return (await call('GET', '/_local/pool', undefined, false)) as Pool;
  } catch {
    throw new CliError(
      "Give --client-id and --region of the hub's user pool app client (the stack's outputs); only the local runtime tells them itself",
    );
  }
}

/** A secret read from the environment or one line of stdin, never from the command line (it would show in `ps`). */
async function secretInput(envName: string, fromStdin: boolean | undefined, what: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv && !fromStdin) return fromEnv;
  if (!fromStdin) throw new CliError(`Give the ${what} in ${envName}, or pipe it with --${what}-stdin`);
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  throw new CliError(`No ${what} on stdin`);
}

async function askCode(given: string | undefined): Promise<string> {
  if (given) return given;
  if (!process.stdin.isTTY)
    throw new CliError('This user has an authenticator app: give --code <six digits>');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const code = (await prompt.question('Code from your authenticator app: ')).trim();
  prompt.close();
  return code;
}

/**
 * `hub login`: a password sign-in at the user pool (`USER_PASSWORD_AUTH` over TLS in AWS), with the
 * authenticator app's code when the user has one; prints the tokens (use the ID token as
 * `--token`/`HUB_TOKEN`, and the access token to enrol an app).
 */
async function login(o: LoginOptions): Promise<void> {
  const pool = await poolOf(o);
  const password = await secretInput('HUB_PASSWORD', o.passwordStdin, 'password');
  const client = new CognitoIdentityProviderClient({
    region: pool.region,
    ...(pool.endpoint ? { endpoint: pool.endpoint } : {}),
    // The pool's sign-in calls are authorised by the password and codes, not by AWS credentials.
    credentials: { accessKeyId: 'none', secretAccessKey: 'none' },
  });
  try {
    let answer = await client.send(
      new InitiateAuthCommand({
        ClientId: pool.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: o.email, PASSWORD: password },
      }),
    );
    if (answer.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
      answer = await client.send(
        new RespondToAuthChallengeCommand({
          ClientId: pool.clientId,
          ChallengeName: 'SOFTWARE_TOKEN_MFA',
          Session: answer.Session,
          ChallengeResponses: { USERNAME: o.email, SOFTWARE_TOKEN_MFA_CODE: await askCode(o.code) },
        }),
      );
    }
    if (answer.ChallengeName) {
      throw new CliError(`The user pool asks ${answer.ChallengeName}, which hub login does not answer`);
    }
    const tokens = answer.AuthenticationResult;
    if (!tokens?.IdToken) throw new CliError('The user pool issued no tokens');
    print({
      idToken: tokens.IdToken,
      accessToken: tokens.AccessToken,
      expiresIn: tokens.ExpiresIn,
      ...(tokens.RefreshToken ? { refreshToken: tokens.RefreshToken } : {}),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Sign-in refused: ${(error as Error).name}: ${(error as Error).message}`);
  } finally {
    client.destroy();
  }
}

const mfaPath = (orgId: string, rest = '') => `/v1/orgs/${encodeURIComponent(orgId)}/me/mfa${rest}`;

/** `hub login`, `hub mfa …` and (on one machine) `hub pool set-password`. */
export function registerSignInCommands(program: Command): void {
  program
    .command('login')
    .description(
      'sign in with a password at the user pool (and your authenticator app code); prints the ID token (use it as --token/HUB_TOKEN) and the access token',
    )
    .requiredOption('--email <email>', 'your email address (the pool signs in by email)')
    .option('--password-stdin', 'read the password from stdin (default: HUB_PASSWORD)')
    .option('--code <digits>', 'the code your authenticator app shows (asked on a terminal otherwise)')
    .option(
      '--client-id <id>',
      "the user pool app client (the stack's output; the local runtime's by default)",
    )
    .option('--region <region>', "the user pool's region (default: AWS_REGION)")
    .option('--pool-endpoint <url>', "the user pool's endpoint (default: AWS's regional one)")
    .action(login);

  const mfa = program
    .command('mfa')
    .description(
      'your second factor: an authenticator app (TOTP) for password sign-ins (as a signed-in user: --token <ID token>)',
    );
  mfa
    .command('status')
    .description('your second factors, and whether the org requires one')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (o: { org?: string }) => print(await call('GET', mfaPath(orgOf(o)))));
  mfa
    .command('enrol')
    .description('start enrolling an authenticator app: prints its secret and otpauth:// URI, once')
    .option('--access-token-stdin', 'read the access token from stdin (default: HUB_ACCESS_TOKEN)')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (o: { org?: string; accessTokenStdin?: boolean }) => {
      const accessToken = await secretInput('HUB_ACCESS_TOKEN', o.accessTokenStdin, 'access-token');
      print(await call('POST', mfaPath(orgOf(o), '/totp'), { accessToken }));
    });
  mfa
    .command('verify')
    .description(
      'finish enrolling with a code the app shows; every session of yours is signed out (log in again with a code)',
    )
    .requiredOption('--code <digits>', 'the code the app shows now')
    .option('--device-name <name>', 'a name for the app')
    .option('--access-token-stdin', 'read the access token from stdin (default: HUB_ACCESS_TOKEN)')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (o: { org?: string; code: string; deviceName?: string; accessTokenStdin?: boolean }) => {
      const accessToken = await secretInput('HUB_ACCESS_TOKEN', o.accessTokenStdin, 'access-token');
      print(
        await call('POST', mfaPath(orgOf(o), '/totp/verify'), {
          accessToken,
          code: o.code,
          ...(o.deviceName ? { deviceName: o.deviceName } : {}),
        }),
      );
    });
  mfa
    .command('disable')
    .description('turn your authenticator app off (needs a sign-in with its code in the last 15 minutes)')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (o: { org?: string }) => {
      await call('DELETE', mfaPath(orgOf(o), '/totp'));
      process.stderr.write('authenticator app turned off\n');
    });
  mfa
    .command('reset')
    .description(
      "reset a user's authenticator app (a lost phone) and sign them out everywhere (needs sessions:manage)",
    )
    .requiredOption('--user <userId>', 'the user')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (o: { org?: string; user: string }) => {
      await call(
        'DELETE',
        `/v1/orgs/${encodeURIComponent(orgOf(o))}/users/${encodeURIComponent(o.user)}/mfa`,
      );
      process.stderr.write(`reset the authenticator app of ${o.user}\n`);
    });

  program
    .command('pool')
    .description("the local runtime's user pool (local only)")
    .command('set-password')
    .description(
      "give a hub user a password at the local pool, as an operator's admin-set-user-password does in AWS",
    )
    .requiredOption('--email <email>', "the hub user's email")
    .requiredOption('--org <orgId>', "the user's organisation")
    .option('--password-stdin', 'read the password from stdin (default: HUB_PASSWORD)')
    .action(async (o: { email: string; org: string; passwordStdin?: boolean }) => {
      const password = await secretInput('HUB_PASSWORD', o.passwordStdin, 'password');
      print(await call('POST', '/_local/pool/users', { email: o.email, orgId: o.org, password }, false));
    });
}
