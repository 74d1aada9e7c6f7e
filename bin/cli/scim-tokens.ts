import type { Command } from 'commander';
import { call, print } from './context';

const tokensOf = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/scim-tokens`;

/** `hub scim-tokens create|list|revoke`: the tokens an org's IdP provisions users and groups with. */
export function registerScimTokenCommands(program: Command): void {
  const tokens = program
    .command('scim-tokens')
    .description("an org's SCIM tokens: what its IdP (Okta, Entra ID) provisions /scim/v2 with");
  tokens
    .command('create')
    .description('issue a SCIM token; it is printed this once')
    .argument('<orgId>')
    .requiredOption('--name <name>', 'what the token is for, e.g. Okta')
    .action(async (orgId: string, o: { name: string }) =>
      print(await call('POST', tokensOf(orgId), { name: o.name })),
    );
  tokens
    .command('list')
    .description("the org's SCIM tokens (masked)")
    .argument('<orgId>')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'the previous page’s nextCursor')
    .action(async (orgId: string, o: { limit: string; cursor?: string }) => {
      const query = new URLSearchParams({ limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) });
      print(await call('GET', `${tokensOf(orgId)}?${query}`));
    });
  tokens
    .command('revoke')
    .description('revoke a SCIM token: the IdP can no longer provision with it')
    .argument('<orgId>')
    .argument('<tokenId>')
    .action(async (orgId: string, tokenId: string) =>
      print(await call('DELETE', `${tokensOf(orgId)}/${encodeURIComponent(tokenId)}`)),
    );
}
