import type { Command } from 'commander';
import { call, print } from './context';

const domainsOf = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/domains`;

/**
 * `hub domains add|list|get|verify|remove` (an org's email domains, proven by a DNS TXT record),
 * `hub sso-subjects reset` (a user's IdP subject binding through a connection) and `hub dns set|list` (the local runtime's stand-in DNS, where such a record is published on
 * one machine).
 */
export function registerSsoCommands(program: Command): void {
  const domains = program
    .command('domains')
    .description("an org's email domains: sign-ins with an address in a verified one go to the org's SSO");
  domains
    .command('add')
    .description('claim a domain; prints the TXT record that proves it')
    .argument('<orgId>')
    .argument('<domain>')
    .action(async (orgId: string, domain: string) => print(await call('POST', domainsOf(orgId), { domain })));
  domains
    .command('list')
    .description("the org's domains, verified or pending")
    .argument('<orgId>')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'the previous page’s nextCursor')
    .action(async (orgId: string, o: { limit: string; cursor?: string }) => {
      const query = new URLSearchParams({ limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) });
      print(await call('GET', `${domainsOf(orgId)}?${query}`));
    });
  domains
    .command('get')
    .description('one domain, with its TXT record and its last check')
    .argument('<orgId>')
    .argument('<domain>')
    .action(async (orgId: string, domain: string) =>
      print(await call('GET', `${domainsOf(orgId)}/${encodeURIComponent(domain)}`)),
    );
  domains
    .command('verify')
    .description('look up the TXT record and, when it holds the proof, claim the domain for the org')
    .argument('<orgId>')
    .argument('<domain>')
    .action(async (orgId: string, domain: string) =>
      print(await call('POST', `${domainsOf(orgId)}/${encodeURIComponent(domain)}/verify`)),
    );
  domains
    .command('remove')
    .description('give the domain up (its claim is released)')
    .argument('<orgId>')
    .argument('<domain>')
    .action(async (orgId: string, domain: string) => {
      await call('DELETE', `${domainsOf(orgId)}/${encodeURIComponent(domain)}`);
      print({ removed: domain });
    });

  const subjects = program
    .command('sso-subjects')
    .description('the IdP subjects bound to users per SSO connection (bound at first sign-in)');
  subjects
    .command('reset')
    .description(
      'forget the IdP subject bound to a user through a connection: their next sign-in binds afresh',
    )
    .argument('<orgId>')
    .argument('<ssoConnectionId>')
    .argument('<userId>')
    .action(async (orgId: string, connectionId: string, userId: string) => {
      await call(
        'DELETE',
        `/v1/orgs/${encodeURIComponent(orgId)}/sso-connections/${encodeURIComponent(connectionId)}/subjects/${encodeURIComponent(userId)}`,
      );
      print({ reset: { ssoConnectionId: connectionId, userId } });
    });

  const dns = program
    .command('dns')
    .description("the local runtime's stand-in DNS (TXT records for domain proofs; local only)");
  dns
    .command('set')
    .description("set a name's TXT records (none: remove the name)")
    .argument('<name>', 'e.g. _integration-hub-challenge.example.com')
    .argument('[txt...]', 'the records')
    .action(async (name: string, txt: string[]) =>
      print(await call('POST', '/_local/dns', { name, txt }, false)),
    );
  dns
    .command('list')
    .description('the local TXT records')
    .action(async () => print(await call('GET', '/_local/dns', undefined, false)));
}
