import type { Command } from 'commander';
import { ORG_CLAIM } from '../../shared/identity/authenticate';
import { bearer, CliError, call, print } from './context';

/**
 * The org a command addresses: `--org`, or the one the signed-in user's token names (read, not
 * verified: the hub verifies the token; this only saves typing the id).
 */
export function orgOf(o: { org?: string }): string {
  if (o.org) return o.org;
  const payload = bearer().split('.')[1];
  let claims: Record<string, unknown> = {};
  try {
    claims = payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims) : {};
  } catch {
    // Not a JWT (an API key): the org must be given.
  }
  const org = claims[ORG_CLAIM];
  if (typeof org !== 'string') throw new CliError('Give --org <orgId> (the token names no organisation)');
  return org;
}

const base = (orgId: string, userId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/${userId ? `users/${encodeURIComponent(userId)}` : 'me'}/sessions`;

/** `hub sessions list|revoke <id>|revoke --all`: your own sessions, or a user's with sessions:manage (`--user`). */
export function registerSessionCommands(program: Command): void {
  const sessions = program
    .command('sessions')
    .description(
      "your sessions (as a signed-in user: --token <JWT>), or a user's with --user (owner, admin)",
    );
  sessions
    .command('list')
    .description('active sessions, newest sign-in first: device, address, sign-in method, started, last seen')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .option('--user <userId>', "another user's sessions (needs sessions:manage)")
    .action(async (o: { org?: string; user?: string }) => print(await call('GET', base(orgOf(o), o.user))));
  sessions
    .command('revoke')
    .description(
      "revoke one of your sessions, or --all of them (sign out everywhere; --user: all of a user's)",
    )
    .argument('[sessionId]', 'the session (ses_…) to revoke')
    .option('--all', 'every session, and the refresh tokens (the user pool signs the user out)')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .option('--user <userId>', "another user's sessions, all of them (needs sessions:manage)")
    .action(async (sessionId: string | undefined, o: { all?: boolean; org?: string; user?: string }) => {
      if (o.all === Boolean(sessionId)) throw new CliError('Give a session id, or --all (not both)');
      if (o.user && !o.all) throw new CliError("A user's sessions are revoked all at once: add --all");
      const path = sessionId ? `${base(orgOf(o))}/${encodeURIComponent(sessionId)}` : base(orgOf(o), o.user);
      print(await call('DELETE', path));
      process.stderr.write(sessionId ? `revoked ${sessionId}\n` : 'revoked every session\n');
    });
}
