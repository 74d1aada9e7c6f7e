import type { Command } from 'commander';
import { call, print } from './context';
import { orgOf } from './sessions';

const base = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/me/passkeys`;

/**
 * `hub passkeys list|remove <id>`: the signed-in user's passkeys (--token <JWT>). Registering one
 * and signing in with it need an authenticator, so a browser does those (the API's
 * `…/me/passkeys/registration-options` and `/sso/passkey/*`).
 */
export function registerPasskeyCommands(program: Command): void {
  const passkeys = program
    .command('passkeys')
    .description(
      'your passkeys (as a signed-in user: --token <JWT>); a browser registers them and signs in with them',
    );
  passkeys
    .command('list')
    .description('your passkeys, oldest first: name, transports, synced or not, added, last used')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (o: { org?: string }) => print(await call('GET', base(orgOf(o)))));
  passkeys
    .command('remove')
    .description('remove one of your passkeys (needs a sign-in with a second factor in the last 15 minutes)')
    .argument('<passkeyId>', 'the passkey (pkey_…) to remove')
    .option('--org <orgId>', "the organisation (default: the token's)")
    .action(async (passkeyId: string, o: { org?: string }) => {
      await call('DELETE', `${base(orgOf(o))}/${encodeURIComponent(passkeyId)}`);
      process.stderr.write(`removed ${passkeyId}\n`);
    });
}
