import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Argument, type Command, InvalidArgumentError, Option } from 'commander';
import { DEV_ISSUER_KEY_FILE } from '../lib/local/data-files';
import { DEV_AUDIENCE, devIssuerKey, ISSUER_PATH, mintDevToken } from '../lib/local/dev-issuer';
import { lastSignOut } from '../lib/local/local-cognito';
import { credentialFields } from '../shared/connectors/provider-catalog';
import type { CredentialKind } from '../shared/connectors/provider-module';
import { PERMISSIONS, ROLES } from '../shared/identity/permissions';
import { PROVIDER_MODULES } from '../shared/providers';
import { PLAN_NAMES } from '../shared/tenancy/plans';
import { registerApprovalCommands } from './cli/approvals';
import { registerChatCommands } from './cli/chat';
import {
  bearer,
  CliError,
  call,
  globals,
  json,
  nonNegativeInt,
  pageQuery,
  positiveInt,
  print,
  program,
  roleRef,
} from './cli/context';
import { registerNotificationPreferenceCommands } from './cli/notification-preferences';
import { registerNotificationRuleCommands } from './cli/notification-rules';
import { registerPasskeyCommands } from './cli/passkeys';
import { registerRealtimeCommands } from './cli/realtime';
import { registerScimTokenCommands } from './cli/scim-tokens';
import { registerSessionCommands } from './cli/sessions';
import { registerSignInCommands } from './cli/sign-in';
import { registerSsoCommands } from './cli/sso';
import { registerWebhookEndpointCommands } from './cli/webhook-endpoints';

/** `hub`: the command line for the hub's HTTP API, and for minting local dev tokens. */

const orgs = program.command('orgs').description('organisations');
orgs
  .command('create')
  .description('create an organisation (platform admin)')
  .requiredOption('--name <name>', 'display name')
  .requiredOption('--slug <slug>', 'unique short name: lower-case letters, digits, hyphens')
  .addOption(new Option('--plan <plan>', 'plan, which sets the quotas').choices(PLAN_NAMES))
  .action(async (o: { name: string; slug: string; plan?: string }) =>
    print(await call('POST', '/v1/orgs', o)),
  );
orgs
  .command('get')
  .description('show an organisation')
  .argument('<orgId>')
  .action(async (orgId: string) => print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}`)));
orgs
  .command('list')
  .description('list organisations, newest first (platform admin)')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/orgs?${pageQuery(o)}`)),
  );
orgs
  .command('update')
  .description("change an organisation's name or settings (only the fields given change)")
  .argument('<orgId>')
  .option('--name <name>', 'new display name')
  .option(
    '--settings <json>',
    'settings to change, e.g. \'{"mfaRequired":true,"ipAllowList":["203.0.113.0/24"]}\'',
    json,
  )
  .addOption(new Option('--plan <plan>', 'new plan (platform admins only)').choices(PLAN_NAMES))
  .action(async (orgId: string, o: { name?: string; settings?: Record<string, unknown>; plan?: string }) =>
    print(await call('PATCH', `/v1/orgs/${encodeURIComponent(orgId)}`, o)),
  );
orgs
  .command('delete')
  .description('delete an organisation: access stops at once, data is purged after the grace period (owner)')
  .argument('<orgId>')
  .option('--grace-days <days>', 'days it can still be restored (0-90)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 90)
      throw new InvalidArgumentError('must be a whole number from 0 to 90');
    return n;
  })
  .action(async (orgId: string, o: { graceDays?: number }) => {
    const query = o.graceDays === undefined ? '' : `?graceDays=${o.graceDays}`;
    print(await call('DELETE', `/v1/orgs/${encodeURIComponent(orgId)}${query}`));
  });
orgs
  .command('restore')
  .description('restore a deleted organisation before it is purged (platform admin)')
  .argument('<orgId>')
  .action(async (orgId: string) =>
    print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/restore`)),
  );
for (const [verb, what] of [
  ['suspend', 'suspend an organisation: its keys and tokens stop working within seconds (platform admin)'],
  ['reactivate', 'reactivate a suspended organisation (platform admin)'],
] as const) {
  orgs
    .command(verb)
    .description(what)
    .argument('<orgId>')
    .action(async (orgId: string) =>
      print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/${verb}`)),
    );
}

const apiKeys = program.command('api-keys').description('API keys');
apiKeys
  .command('list')
  .description("list an organisation's keys (prefix and last four characters only)")
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/api-keys?${pageQuery(o)}`)),
  );
apiKeys
  .command('revoke')
  .description('revoke a key; it stops working within seconds')
  .argument('<orgId>')
  .argument('<keyId>')
  .action(async (orgId: string, keyId: string) => {
    await call('DELETE', `/v1/orgs/${encodeURIComponent(orgId)}/api-keys/${encodeURIComponent(keyId)}`);
    print({ revoked: keyId });
  });
apiKeys
  .command('rotate')
  .description('issue a replacement key (printed once); the old one keeps working for the overlap')
  .argument('<orgId>')
  .argument('<keyId>')
  .option(
    '--overlap <seconds>',
    'how long the old key keeps working (default a day, at most a week)',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of seconds');
      return n;
    },
  )
  .action(async (orgId: string, keyId: string, o: { overlap?: number }) =>
    print(
      await call(
        'POST',
        `/v1/orgs/${encodeURIComponent(orgId)}/api-keys/${encodeURIComponent(keyId)}/rotate`,
        o.overlap === undefined ? {} : { overlapSeconds: o.overlap },
      ),
    ),
  );
apiKeys
  .command('create')
  .description('create an API key for an organisation; the key is printed once')
  .argument('<orgId>')
  .requiredOption('--name <name>', 'what the key is for')
  .addOption(
    new Option('--role <role>', 'role the key acts with: a built-in role or a custom role id')
      .argParser(roleRef)
      .makeOptionMandatory(),
  )
  .option('--expires-at <time>', 'ISO 8601 expiry, e.g. 2027-01-01T00:00:00Z')
  .option(
    '--personal',
    'a personal key of the calling user (needs a user token), refused while they are deactivated',
  )
  .action(async (orgId: string, o: { name: string; role: string; expiresAt?: string; personal?: boolean }) =>
    print(
      await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/api-keys`, {
        name: o.name,
        role: o.role,
        ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
        ...(o.personal ? { owner: 'me' } : {}),
      }),
    ),
  );

const platformKeys = program
  .command('platform-keys')
  .description('platform-admin API keys: they expire and can be revoked (platform admin)');
platformKeys
  .command('list')
  .description('list platform keys, newest first (prefix and last four characters only)')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/platform/api-keys?${pageQuery(o)}`)),
  );
platformKeys
  .command('create')
  .description('issue a platform key; it is printed once')
  .requiredOption('--name <name>', 'what the key is for')
  .option('--expires-at <time>', 'ISO 8601 expiry (default in 90 days, at most a year away)')
  .action(async (o: { name: string; expiresAt?: string }) =>
    print(
      await call('POST', '/v1/platform/api-keys', {
        name: o.name,
        ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
      }),
    ),
  );
platformKeys
  .command('revoke')
  .description('revoke a platform key; it stops working within seconds')
  .argument('<keyId>')
  .action(async (keyId: string) => {
    await call('DELETE', `/v1/platform/api-keys/${encodeURIComponent(keyId)}`);
    print({ revoked: keyId });
  });

const connections = program.command('connections').description('connections to other tools');
const conPath = (orgId: string, connectionId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/connections${connectionId ? `/${encodeURIComponent(connectionId)}` : ''}`;
connections
  .command('create')
  .description('create a connection; its webhook signing secret is printed once')
  .argument('<orgId>')
  .requiredOption('--name <name>', 'display name')
  .addOption(
    new Option('--provider <provider>', 'provider')
      .choices(PROVIDER_MODULES.map((m) => m.id))
      .default(PROVIDER_MODULES[0].id),
  )
  .option(
    '--base-url <url>',
    "the provider's API (see below); https, public addresses only unless the operator allowed the range",
  )
  .addHelpText(
    'after',
    `\nBase URLs:\n${PROVIDER_MODULES.map((m) => `  ${m.id} (${m.displayName}): ${m.api.baseUrlHint}`).join('\n')}`,
  )
  .action(async (orgId: string, o: { name: string; provider: string; baseUrl?: string }) =>
    print(
      await call('POST', conPath(orgId), {
        provider: o.provider,
        name: o.name,
        ...(o.baseUrl ? { config: { baseUrl: o.baseUrl } } : {}),
      }),
    ),
  );
connections
  .command('list')
  .description("list an organisation's connections, with status and last error")
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `${conPath(orgId)}?${pageQuery(o)}`)),
  );
connections
  .command('get')
  .description('read a connection')
  .argument('<orgId>')
  .argument('<connectionId>')
  .action(async (orgId: string, connectionId: string) =>
    print(await call('GET', conPath(orgId, connectionId))),
  );
connections
  .command('update')
  .description('rename a connection, or point it at another server of its provider')
  .argument('<orgId>')
  .argument('<connectionId>')
  .option('--name <name>', 'display name')
  .option(
    '--base-url <url>',
    "the provider's API base URL; a new one clears the credentials (set them again for the new server)",
  )
  .action(async (orgId: string, connectionId: string, o: { name?: string; baseUrl?: string }) =>
    print(
      await call('PATCH', conPath(orgId, connectionId), {
        ...(o.name ? { name: o.name } : {}),
        ...(o.baseUrl ? { config: { baseUrl: o.baseUrl } } : {}),
      }),
    ),
  );
for (const [verb, what] of [
  ['disable', 'disable a connection: its webhooks are refused at once'],
  ['enable', 'enable a connection again'],
] as const) {
  connections
    .command(verb)
    .description(what)
    .argument('<orgId>')
    .argument('<connectionId>')
    .action(async (orgId: string, connectionId: string) =>
      print(await call('POST', `${conPath(orgId, connectionId)}/${verb}`)),
    );
}
connections
  .command('delete')
  .description('delete a connection and its webhook endpoint')
  .argument('<orgId>')
  .argument('<connectionId>')
  .action(async (orgId: string, connectionId: string) => {
    await call('DELETE', conPath(orgId, connectionId));
  });
/** Each credential field's option: `appId` → `app-id`; secrets only from a file or an environment variable. */
const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
// Kinds an install writes (an OAuth callback) are no choice here: the API refuses them by hand.
const CREDENTIAL_CHOICES = PROVIDER_MODULES.flatMap((m) =>
  m.credentials
    .filter((kind) => !(kind as CredentialKind).installedOnly)
    .map((kind) => ({ provider: m, kind, fields: credentialFields(kind) })),
);
/** A number field's value from the command line is a number; everything else is sent as typed. */
const isNumberField = (schema: { _zod: { def: unknown } }): boolean => {
  let def = schema._zod.def as { type?: string; innerType?: { _zod: { def: unknown } } };
  for (let depth = 0; depth < 8 && def.innerType; depth++) def = def.innerType._zod.def as typeof def;
  return def.type === 'number';
};
const setCredentials = connections
  .command('set-credentials')
  .description("set a connection's provider credentials (stored encrypted, never shown again)")
  .argument('<orgId>')
  .argument('<connectionId>')
  .addOption(
    new Option('--kind <kind>', 'the kind of credentials (see below)')
      .choices(CREDENTIAL_CHOICES.map((k) => k.kind.kind))
      .makeOptionMandatory(),
  );
const credentialFlags = new Map<string, { secret: boolean; number: boolean }>();
type CredentialField = (typeof CREDENTIAL_CHOICES)[number]['fields'][number];
const optional = (f: CredentialField) => f.schema.safeParse(undefined).success;
const flagsOf = (f: CredentialField) =>
  f.secret ? `--${kebab(f.name)}-file|--${kebab(f.name)}-env` : `--${kebab(f.name)}`;
for (const { fields } of CREDENTIAL_CHOICES) {
  for (const field of fields) {
    if (credentialFlags.has(field.name)) continue;
    credentialFlags.set(field.name, { secret: field.secret, number: isNumberField(field.schema) });
    const flag = kebab(field.name);
    if (field.secret) {
      setCredentials.option(`--${flag}-file <path>`, `read ${field.name} from a file`);
      setCredentials.option(`--${flag}-env <name>`, `read ${field.name} from an environment variable`);
      // Recognised only to say where the secret goes instead: a command line is seen by `ps` and kept in shell history.
      setCredentials.addOption(new Option(`--${flag} <value>`).hideHelp());
    } else {
      // A field several kinds share (a token URL) means something per kind: its help names them.
      const kinds = CREDENTIAL_CHOICES.filter((c) => c.fields.some((f) => f.name === field.name));
      setCredentials.option(
        `--${flag} <value>`,
        kinds.length > 1
          ? `${field.name}, for ${kinds.map((c) => c.kind.kind).join(', ')}`
          : (field.schema.description ?? field.name),
      );
    }
  }
}
setCredentials
  .addHelpText(
    'after',
    `\nKinds and their fields ([optional]; secrets only from --<field>-file or --<field>-env, never on the command line):\n${CREDENTIAL_CHOICES.map(
      ({ provider, kind, fields }) =>
        `  ${kind.kind} (${provider.displayName}): ${kind.description}\n    ${fields
          .map((f) => (optional(f) ? `[${flagsOf(f)}]` : flagsOf(f)))
          .join(' ')}`,
    ).join('\n')}`,
  )
  .action(async (orgId: string, connectionId: string, o: Record<string, string | undefined>) => {
    const chosen = CREDENTIAL_CHOICES.find((k) => k.kind.kind === o.kind);
    if (!chosen) throw new CliError(`No credential kind ${o.kind}`);
    const own = new Set(chosen.fields.map((f) => f.name));
    const body: Record<string, unknown> = { kind: chosen.kind.kind };
    for (const [name, { secret }] of credentialFlags) {
      const flag = kebab(name);
      if (secret && o[camel(flag)] !== undefined)
        throw new CliError(
          `${name} is a secret: it is not taken on the command line (ps and shell history keep it). Use --${flag}-file <path> or --${flag}-env <name>`,
        );
    }
    for (const [name, { secret, number }] of credentialFlags) {
      const flag = kebab(name);
      const given = secret ? [o[camel(`${flag}-file`)], o[camel(`${flag}-env`)]] : [o[camel(flag)]];
      if (given.every((v) => v === undefined)) continue;
      if (!own.has(name)) throw new CliError(`${chosen.kind.kind} credentials have no ${name}`);
      if (!secret) {
        body[name] = number ? Number(given[0]) : given[0];
        continue;
      }
      const [file, env] = given;
      if (file !== undefined && env !== undefined)
        throw new CliError(`Give --${flag}-file or --${flag}-env, not both`);
      const value = file !== undefined ? readFileSync(resolve(file), 'utf8') : process.env[env as string];
      if (value === undefined) throw new CliError(`$${env} is not set (it holds ${name})`);
      body[name] = value;
    }
    const missing = chosen.fields.filter((f) => !(f.name in body) && !optional(f));
    if (missing.length > 0)
      throw new CliError(`${chosen.kind.kind} credentials need ${missing.map(flagsOf).join(', ')}`);
    print(await call('PUT', `${conPath(orgId, connectionId)}/credentials`, body));
  });
connections
  .command('test')
  .description(
    "make a dry call to the connection's provider with its credentials (exits 1 when the provider refused)",
  )
  .argument('<orgId>')
  .argument('<connectionId>')
  .action(async (orgId: string, connectionId: string) => {
    const result = (await call('POST', `${conPath(orgId, connectionId)}/test`)) as { ok?: boolean };
    print(result);
    // Scripts see a refusal: the answer is 200 with ok false, the command is not a success.
    if (result?.ok === false) process.exitCode = 1;
  });
connections
  .command('rotate-secret')
  .description('issue a new webhook secret (printed once); the old one is accepted for the overlap')
  .argument('<orgId>')
  .argument('<connectionId>')
  .option('--overlap <seconds>', 'how long the old secret still verifies deliveries', (v) => Number(v), 86400)
  .action(async (orgId: string, connectionId: string, o: { overlap: number }) =>
    print(await call('POST', `${conPath(orgId, connectionId)}/rotate-secret`, { overlapSeconds: o.overlap })),
  );

program
  .command('events')
  .description('canonical events')
  .command('list')
  .description("list an organisation's events, newest first")
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/events?${pageQuery(o)}`)),
  );
program.commands
  .find((c) => c.name() === 'events')
  ?.command('raw')
  .description('print the raw webhook delivery an event was normalised from, as received (audited)')
  .argument('<orgId>')
  .argument('<eventId>')
  .action(async (orgId: string, eventId: string) => {
    const path = `/v1/orgs/${encodeURIComponent(orgId)}/events/${encodeURIComponent(eventId)}/raw`;
    const res = await fetch(new URL(path, globals().url), {
      headers: { authorization: `Bearer ${bearer()}` },
    });
    const text = await res.text();
    if (!res.ok) {
      const problem = (() => {
        try {
          return JSON.parse(text) as { title?: string; detail?: string };
        } catch {
          return { detail: text };
        }
      })();
      throw new CliError(`${res.status} ${problem.title ?? res.statusText}: ${problem.detail ?? text}`);
    }
    // The body as the provider sent it: no formatting, so it can be piped or hashed.
    process.stdout.write(text);
  });

const users = program.command('users').description("an organisation's users");
users
  .command('create')
  .description("add a user (the org's default role unless --role is given)")
  .argument('<orgId>')
  .requiredOption('--email <email>', 'email address')
  .requiredOption('--name <name>', 'display name')
  .addOption(new Option('--role <role>', 'a built-in role or a custom role id').argParser(roleRef))
  .action(async (orgId: string, o: { email: string; name: string; role?: string }) =>
    print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/users`, o)),
  );
users
  .command('list')
  .description("list an organisation's users")
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/users?${pageQuery(o)}`)),
  );
for (const [verb, what] of [
  [
    'deactivate',
    'deactivate a user: their tokens stop working at once and they are signed out of the user pool',
  ],
  ['reactivate', 'reactivate a user'],
] as const) {
  users
    .command(verb)
    .description(what)
    .argument('<orgId>')
    .argument('<userId>')
    .action(async (orgId: string, userId: string) =>
      print(
        await call(
          'POST',
          `/v1/orgs/${encodeURIComponent(orgId)}/users/${encodeURIComponent(userId)}/${verb}`,
        ),
      ),
    );
}
users
  .command('activity')
  .description("a user's activity, newest first, from the audit trail")
  .argument('<orgId>')
  .argument('<userId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, userId: string, o: { limit: number; cursor?: string }) =>
    print(
      await call(
        'GET',
        `/v1/orgs/${encodeURIComponent(orgId)}/users/${encodeURIComponent(userId)}/activity?${pageQuery(o)}`,
      ),
    ),
  );

const invitations = program.command('invitations').description('invitations to join an organisation');
invitations
  .command('create')
  .description(
    "invite someone by email (the org's default role unless --role is given); the token goes by email",
  )
  .argument('<orgId>')
  .requiredOption('--email <email>', 'email address')
  .addOption(new Option('--role <role>', 'a built-in role or a custom role id').argParser(roleRef))
  .action(async (orgId: string, o: { email: string; role?: string }) =>
    print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/invitations`, o)),
  );
invitations
  .command('list')
  .description("list an organisation's invitations, newest first")
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/invitations?${pageQuery(o)}`)),
  );
invitations
  .command('resend')
  .description('send an invitation again with a new token; the previous token stops working')
  .argument('<orgId>')
  .argument('<invitationId>')
  .action(async (orgId: string, invitationId: string) =>
    print(
      await call(
        'POST',
        `/v1/orgs/${encodeURIComponent(orgId)}/invitations/${encodeURIComponent(invitationId)}/resend`,
      ),
    ),
  );
invitations
  .command('revoke')
  .description('revoke a pending invitation')
  .argument('<orgId>')
  .argument('<invitationId>')
  .action(async (orgId: string, invitationId: string) =>
    print(
      await call(
        'DELETE',
        `/v1/orgs/${encodeURIComponent(orgId)}/invitations/${encodeURIComponent(invitationId)}`,
      ),
    ),
  );
invitations
  .command('accept')
  .description('accept an invitation with the token from its email (needs no credential)')
  .argument('<token>', 'the token from the email')
  .requiredOption('--name <name>', 'your name')
  .action(async (token: string, o: { name: string }) =>
    print(await call('POST', '/v1/invitations/accept', { token, name: o.name }, false)),
  );

program
  .command('mailbox')
  .description('list the email the local runtime captured instead of sending, newest first')
  .option('--to <email>', 'only email to this address')
  .action(async (o: { to?: string }) =>
    print(
      await call('GET', `/_local/mailbox${o.to ? `?to=${encodeURIComponent(o.to)}` : ''}`, undefined, false),
    ),
  );

const teams = program.command('teams').description("an organisation's teams");
teams
  .command('create')
  .description('create a team, at the top or under --parent (at most five deep)')
  .argument('<orgId>')
  .requiredOption('--name <name>', 'team name')
  .option('--parent <teamId>', 'parent team')
  .action(async (orgId: string, o: { name: string; parent?: string }) =>
    print(
      await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/teams`, { name: o.name, parentId: o.parent }),
    ),
  );
teams
  .command('list')
  .description("list the organisation's teams")
  .argument('<orgId>')
  .action(async (orgId: string) => print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/teams`)));
teams
  .command('add-member')
  .description('add a user to a team (maintainer: this team and those below; member: this team only)')
  .argument('<orgId>')
  .argument('<teamId>')
  .argument('<userId>')
  .addOption(
    new Option('--role <role>', 'role in the team').choices(['maintainer', 'member']).default('member'),
  )
  .action(async (orgId: string, teamId: string, userId: string, o: { role: string }) =>
    print(
      await call(
        'PUT',
        `/v1/orgs/${encodeURIComponent(orgId)}/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`,
        { role: o.role },
      ),
    ),
  );
teams
  .command('update')
  .description('rename a team, or move it (with the teams below it) under --parent, or to the top with --top')
  .argument('<orgId>')
  .argument('<teamId>')
  .option('--name <name>', 'new name')
  .option('--parent <teamId>', 'new parent team')
  .option('--top', 'move the team to the top of the hierarchy')
  .action(async (orgId: string, teamId: string, o: { name?: string; parent?: string; top?: boolean }) => {
    if (o.parent && o.top) throw new CliError('Give --parent or --top, not both');
    const body = {
      ...(o.name ? { name: o.name } : {}),
      ...(o.parent ? { parentId: o.parent } : o.top ? { parentId: null } : {}),
    };
    print(
      await call('PATCH', `/v1/orgs/${encodeURIComponent(orgId)}/teams/${encodeURIComponent(teamId)}`, body),
    );
  });
teams
  .command('delete')
  .description('delete a team that has no child teams')
  .argument('<orgId>')
  .argument('<teamId>')
  .action(async (orgId: string, teamId: string) => {
    await call('DELETE', `/v1/orgs/${encodeURIComponent(orgId)}/teams/${encodeURIComponent(teamId)}`);
  });
teams
  .command('members')
  .description("a team's members: direct ones, and maintainers of the teams above it")
  .argument('<orgId>')
  .argument('<teamId>')
  .action(async (orgId: string, teamId: string) =>
    print(
      await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/teams/${encodeURIComponent(teamId)}/members`),
    ),
  );
teams
  .command('remove-member')
  .description('remove a user from a team')
  .argument('<orgId>')
  .argument('<teamId>')
  .argument('<userId>')
  .action(async (orgId: string, teamId: string, userId: string) => {
    await call(
      'DELETE',
      `/v1/orgs/${encodeURIComponent(orgId)}/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`,
    );
  });
teams
  .command('analytics')
  .description("a team's members and their actions per day, from the audit trail")
  .argument('<orgId>')
  .argument('<teamId>')
  .option('--days <n>', 'days back, today included (1-90)', positiveInt, 30)
  .action(async (orgId: string, teamId: string, o: { days: number }) =>
    print(
      await call(
        'GET',
        `/v1/orgs/${encodeURIComponent(orgId)}/teams/${encodeURIComponent(teamId)}/analytics?days=${o.days}`,
      ),
    ),
  );
users
  .command('teams')
  .description('the teams a user belongs to, directly and through teams they maintain')
  .argument('<orgId>')
  .argument('<userId>')
  .action(async (orgId: string, userId: string) =>
    print(
      await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/users/${encodeURIComponent(userId)}/teams`),
    ),
  );

program
  .command('usage')
  .description("an organisation's plan, limits and current usage, or its hourly billable units")
  .argument('<orgId>')
  .option('--hourly', 'hourly aggregates (API requests, webhook events), newest first')
  .action(async (orgId: string, o: { hourly?: boolean }) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/usage${o.hourly ? '/hourly' : ''}`)),
  );

program
  .command('audit')
  .description('the audit trail')
  .command('list')
  .description("read an organisation's audit trail, newest first (the read is itself audited)")
  .argument('<orgId>')
  .option('--actor <id>', 'only this actor (user or key id)')
  .option('--action <action>', 'only this action, e.g. org.updated')
  .option('--target-type <type>', 'only records about this kind of target')
  .option('--target-id <id>', 'only records about this target (with --target-type)')
  .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['success', 'denied', 'failed']))
  .option('--from <time>', 'ISO 8601 start time')
  .option('--to <time>', 'ISO 8601 end time')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: Record<string, string | number | undefined>) => {
    const names: Record<string, string> = {
      actor: 'actorId',
      targetType: 'targetType',
      targetId: 'targetId',
    };
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(o)) if (v !== undefined) query.set(names[k] ?? k, String(v));
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/audit-events?${query}`));
  });

const webhooks = program.command('webhooks').description('webhook deliveries');
/** The providers that can play a sync role, by their display names, for people. */
const playing = (role: 'tracker' | 'codeHost') =>
  PROVIDER_MODULES.flatMap((m) => ('sync' in m && m.sync?.role === role ? [m.displayName] : [])).join(' or ');
const signers = PROVIDER_MODULES.filter((m) => m.webhook.sign);
webhooks
  .command('send')
  .description("sign a delivery as its provider would, with a connection's secret, and send it to the hub")
  .addArgument(new Argument('<provider>', "the connection's provider").choices(signers.map((m) => m.id)))
  .argument('<connectionId>')
  .option('--secret-file <path>', "read the connection's webhook secret (whsec_…) from a file")
  .option('--secret-env <name>', "read the connection's webhook secret from an environment variable")
  .option(
    '--secret <secret>',
    'the webhook secret itself (shown by ps and kept in shell history: a local test secret only)',
  )
  .option('--file <path>', "the JSON payload, e.g. one of the provider's documented examples")
  .option('--data <json>', 'the JSON payload, inline', json)
  .option('--event <name>', 'the event name, for providers that send one in a header (e.g. issues, push)')
  .option('--id <deliveryId>', 'the delivery id (repeat one to see de-duplication)')
  .addHelpText(
    'after',
    `\nHeaders each provider gets:\n${signers.map((m) => `  ${m.id}: ${m.webhook.docs.headers.join(', ')}`).join('\n')}`,
  )
  .action(
    async (
      provider: string,
      connectionId: string,
      o: {
        secret?: string;
        secretFile?: string;
        secretEnv?: string;
        file?: string;
        data?: unknown;
        event?: string;
        id?: string;
      },
    ) => {
      const module = signers.find((m) => m.id === provider);
      if (!module?.webhook.sign) throw new CliError(`The hub cannot sign ${provider} deliveries`);
      const given = [o.secret, o.secretFile, o.secretEnv].filter((v) => v !== undefined);
      if (given.length !== 1) throw new CliError('Give one of --secret-file, --secret-env or --secret');
      const secret =
        o.secretFile !== undefined
          ? readFileSync(resolve(o.secretFile), 'utf8').trim()
          : o.secretEnv !== undefined
            ? process.env[o.secretEnv]
            : o.secret;
      if (secret === undefined)
        throw new CliError(`$${o.secretEnv} is not set (it holds the webhook secret)`);
      if (Boolean(o.file) === (o.data !== undefined)) throw new CliError('Give --file or --data');
      const { url } = globals();
      const body = o.file ? readFileSync(resolve(o.file), 'utf8') : JSON.stringify(o.data);
      const id = o.id ?? `msg_${randomUUID()}`;
      const headers = await module.webhook.sign(secret, body, { id, at: new Date(), event: o.event });
      const res = await fetch(
        new URL(`/webhooks/${encodeURIComponent(provider)}/${encodeURIComponent(connectionId)}`, url),
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body },
      );
      const answer = (await res.json()) as unknown;
      if (!res.ok) throw new CliError(`${res.status}: ${JSON.stringify(answer)}`);
      print({ deliveryId: id, ...(answer as object) });
    },
  );

program
  .command('token')
  .description('local development tokens')
  .command('mint')
  .description("mint a JWT signed by the local runtime's dev issuer (as the Cognito user pool would issue)")
  .requiredOption('--sub <subject>', 'user id')
  .option('--email <email>', 'email claim')
  .option('--org <orgId>', 'organisation the user belongs to')
  .addOption(
    new Option(
      '--role <role>',
      `role within the organisation: ${ROLES.join(', ')}, or a custom role id`,
    ).argParser(roleRef),
  )
  .option('--user <userId>', 'the hub user the sign-in maps to (custom:user_id; default: --sub)')
  .option('--mfa', 'the user passed a second factor (amr: pwd, mfa)')
  .option('--amr <methods>', 'how the user authenticated, comma-separated (overrides --mfa)')
  .option(
    '--auth-age <seconds>',
    'the session began this long ago (auth_time), as in a refreshed token; refused if --email was signed out since',
    nonNegativeInt,
    0,
  )
  .option(
    '--auth-time <epochSeconds>',
    "the session's sign-in time (auth_time), as a token refreshed from that sign-in carries (overrides --auth-age)",
    positiveInt,
  )
  .option('--platform-admin', 'member of the platform-admins group')
  .option('--ttl <seconds>', 'lifetime in seconds', positiveInt, 3600)
  .action(
    async (o: {
      sub: string;
      email?: string;
      org?: string;
      role?: string;
      user?: string;
      mfa?: boolean;
      amr?: string;
      authAge: number;
      authTime?: number;
      platformAdmin?: boolean;
      ttl: number;
    }) => {
      if (!o.platformAdmin && !(o.org && o.role))
        throw new CliError('Give --org and --role, or --platform-admin');
      const { url, dataDir } = globals();
      const keyFile = join(resolve(dataDir), DEV_ISSUER_KEY_FILE);
      if (!existsSync(keyFile))
        throw new CliError(`No dev issuer key at ${keyFile}: start the hub locally first (npm start)`);
      const config = (await (
        await fetch(new URL(`${ISSUER_PATH}/.well-known/openid-configuration`, url))
      ).json()) as {
        issuer: string;
      };
      const startedAt = o.authTime !== undefined ? o.authTime * 1000 : Date.now() - o.authAge * 1000;
      const authTime = Math.floor(startedAt / 1000);
      // As a refresh token stops working: a session begun before its user's sign-out gets no token.
      const signedOut = o.email ? lastSignOut(resolve(dataDir), o.email) : null;
      if (signedOut && signedOut.getTime() >= startedAt)
        throw new CliError(`${o.email} was signed out at ${signedOut.toISOString()}: sign in again`);
      const token = await mintDevToken(await devIssuerKey(resolve(dataDir)), config.issuer, {
        sub: o.sub,
        email: o.email,
        orgId: o.org,
        role: o.role,
        userId: o.user,
        mfa: o.mfa,
        amr: o.amr?.split(',').map((m) => m.trim()),
        authTime,
        platformAdmin: o.platformAdmin,
        ttlSeconds: o.ttl,
      });
      process.stdout.write(`${token}\n`);
      process.stderr.write(`audience ${DEV_AUDIENCE}, issuer ${config.issuer}, expires in ${o.ttl}s\n`);
    },
  );

const deadLetters = program
  .command('dead-letters')
  .description('messages a worker parked because retrying could not help, and their redrive');
deadLetters
  .command('list')
  .description("an organisation's parked messages, newest first, each with its reason")
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/dead-letters?${pageQuery(o)}`)),
  );
deadLetters
  .command('redrive')
  .description('put parked messages back on their queues: all of them (up to 100), or the ids given')
  .argument('<orgId>')
  .argument('[ids...]', 'dead letter ids (dlq_…)')
  .action(async (orgId: string, ids: string[]) =>
    print(
      await call(
        'POST',
        `/v1/orgs/${encodeURIComponent(orgId)}/dead-letters/redrive`,
        ids.length > 0 ? { ids } : {},
      ),
    ),
  );

connections
  .command('status')
  .description("a connection's sync: last synced, lag, changes and failures, reconciliation, mappings")
  .argument('<orgId>')
  .argument('<connectionId>')
  .action(async (orgId: string, connectionId: string) =>
    print(await call('GET', `${conPath(orgId, connectionId)}/status`)),
  );

/** `a=b` pairs, repeatable: `--user 6001:abc=octocat --user …`. */
const pair =
  (what: string) =>
  (value: string, previous: { left: string; right: string }[] = []) => {
    const at = value.lastIndexOf('=');
    if (at <= 0 || at === value.length - 1) throw new InvalidArgumentError(`must be ${what}`);
    return [...previous, { left: value.slice(0, at), right: value.slice(at + 1) }];
  };
const mapPath = (orgId: string, mappingId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/mappings${mappingId ? `/${encodeURIComponent(mappingId)}` : ''}`;
interface MappingOptions {
  trackerConnection?: string;
  project?: string;
  itemType?: string;
  codeHostConnection?: string;
  repository?: string;
  name?: string;
  conflicts?: string;
  create?: string;
  user?: { left: string; right: string }[];
  label?: { left: string; right: string }[];
  status?: { left: string; right: string }[];
  branchOnCreate?: boolean;
  base?: string;
  json?: Record<string, unknown>;
}
/** The mapping body from the options: `--json` first, each named option over it. */
function mappingBody(o: MappingOptions, current: Record<string, unknown> = {}): Record<string, unknown> {
  type Part = Record<string, unknown>;
  const body: Record<string, Part | unknown> & { tracker?: Part; codeHost?: Part; branches?: Part } = {
    ...current,
    ...(o.json ?? {}),
  };
  for (const key of ['id', 'orgId', 'createdAt', 'updatedAt', 'version']) delete body[key];
  if (o.trackerConnection || o.project || o.itemType)
    body.tracker = {
      ...body.tracker,
      ...(o.trackerConnection ? { connectionId: o.trackerConnection } : {}),
      ...(o.project ? { project: o.project } : {}),
      ...(o.itemType ? { itemType: o.itemType } : {}),
    };
  if (o.codeHostConnection || o.repository)
    body.codeHost = {
      ...body.codeHost,
      ...(o.codeHostConnection ? { connectionId: o.codeHostConnection } : {}),
      ...(o.repository ? { repository: o.repository } : {}),
    };
  if (o.name) body.name = o.name;
  if (o.conflicts) body.conflicts = o.conflicts;
  if (o.create) body.create = o.create;
  if (o.user) body.users = o.user.map((p) => ({ tracker: p.left, codeHost: p.right }));
  if (o.label) body.labels = { rename: o.label.map((p) => ({ tracker: p.left, codeHost: p.right })) };
  if (o.status) body.statuses = o.status.map((p) => ({ tracker: p.left, codeHost: p.right }));
  if (o.branchOnCreate !== undefined || o.base)
    body.branches = {
      ...body.branches,
      ...(o.branchOnCreate !== undefined ? { onCreate: o.branchOnCreate } : {}),
      ...(o.base ? { base: o.base } : {}),
    };
  return body;
}
const mappingOptions = (command: Command) =>
  command
    .option('--tracker-connection <id>', `the tracker connection, such as ${playing('tracker')} (con_…)`)
    .option('--project <key>', "the tracker's project (its key, such as PROJ)")
    .option('--item-type <name>', 'the type of items the hub creates in the tracker (its default unless set)')
    .option('--code-host-connection <id>', `the code host connection, such as ${playing('codeHost')} (con_…)`)
    .option('--repository <owner/name>', "the code host's repository")
    .option('--name <name>', 'display name')
    .addOption(
      new Option('--conflicts <rule>', 'who wins a conflict').choices([
        'latest',
        'prefer_tracker',
        'prefer_code_host',
      ]),
    )
    .addOption(
      new Option('--create <direction>', 'whose new items get a counterpart on the other side').choices([
        'both',
        'tracker_to_code_host',
        'code_host_to_tracker',
        'none',
      ]),
    )
    .option(
      '--user <trackerUser=codeHostUser>',
      "a user pair: the tracker's account id and the code host's login (repeatable)",
      pair('trackerUser=codeHostUser'),
    )
    .option(
      '--label <trackerLabel=codeHostLabel>',
      'a label rename (repeatable)',
      pair('trackerLabel=codeHostLabel'),
    )
    .option(
      '--status <trackerStatus=open|closed>',
      'a status pair (repeatable; replaces the defaults)',
      pair('trackerStatus=open|closed'),
    )
    .option('--branch-on-create', 'open a branch and a draft PR for every new tracker item')
    .option('--base <branch>', 'the branch new branches start from (default main)')
    .option('--json <object>', 'any other mapping fields, as JSON (fields, pullRequests, …)', json);

const mappings = program
  .command('mappings')
  .description(
    `sync mappings: which tracker project (${playing('tracker')}) and code host repository (${playing('codeHost')}) are kept in step, and how`,
  );
mappings
  .command('list')
  .argument('<orgId>')
  .action(async (orgId: string) => print(await call('GET', mapPath(orgId))));
mappings
  .command('get')
  .argument('<orgId>')
  .argument('<mappingId>')
  .action(async (orgId: string, mappingId: string) => print(await call('GET', mapPath(orgId, mappingId))));
mappingOptions(
  mappings
    .command('create')
    .description(
      "create a mapping (needs --tracker-connection, --project, --code-host-connection, --repository); the org's plan caps how many it may have (429 at the cap; deleting one gives its place back)",
    )
    .argument('<orgId>'),
).action(async (orgId: string, o: MappingOptions) =>
  print(await call('POST', mapPath(orgId), mappingBody(o))),
);
mappingOptions(
  mappings
    .command('update')
    .description('change a mapping: the options given replace those parts, the rest stays')
    .argument('<orgId>')
    .argument('<mappingId>'),
).action(async (orgId: string, mappingId: string, o: MappingOptions) => {
  const current = (await call('GET', mapPath(orgId, mappingId))) as Record<string, unknown>;
  print(await call('PUT', mapPath(orgId, mappingId), mappingBody(o, current)));
});
mappings
  .command('delete')
  .argument('<orgId>')
  .argument('<mappingId>')
  .action(async (orgId: string, mappingId: string) => print(await call('DELETE', mapPath(orgId, mappingId))));

mappings
  .command('backfill')
  .description(
    "link the mapping's existing issues: starts a backfill (409 while one is moving; one left behind for 15 minutes gives way), or with --status shows the latest",
  )
  .argument('<orgId>')
  .argument('<mappingId>')
  .option('--status', 'show the latest backfill (progress, counts, ETA, last error) instead of starting one')
  .action(async (orgId: string, mappingId: string, o: { status?: boolean }) =>
    print(await call(o.status ? 'GET' : 'POST', `${mapPath(orgId, mappingId)}/backfill`)),
  );

const links = program
  .command('links')
  .description(
    `tracker items and code host issues the hub keeps in step (${playing('tracker')} and ${playing('codeHost')})`,
  );
const linkPath = (orgId: string, linkId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/links${linkId ? `/${encodeURIComponent(linkId)}` : ''}`;
links
  .command('list')
  .argument('<orgId>')
  .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
  .option('--cursor <cursor>', 'nextCursor of the previous page')
  .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
    print(await call('GET', `${linkPath(orgId)}?${pageQuery(o)}`)),
  );
links
  .command('get')
  .description('a link: field versions, pending writes, conflict history, last sync and lag')
  .argument('<orgId>')
  .argument('<linkId>')
  .action(async (orgId: string, linkId: string) => print(await call('GET', linkPath(orgId, linkId))));
links
  .command('branch')
  .description('open a branch named from the tracker item and a draft pull request, linked back on the item')
  .argument('<orgId>')
  .argument('<linkId>')
  .option('--base <branch>', "the branch to start from (default: the mapping's)")
  .option('--ready', 'open the pull request ready for review instead of as a draft')
  .action(async (orgId: string, linkId: string, o: { base?: string; ready?: boolean }) =>
    print(
      await call('POST', `${linkPath(orgId, linkId)}/branch`, {
        ...(o.base ? { base: o.base } : {}),
        draft: !o.ready,
      }),
    ),
  );

const roles = program.command('roles').description("an organisation's roles: built-in and custom");
const orgPermissions = PERMISSIONS.filter((p) => !p.startsWith('platform:'));
const permissionList = (value: string): string[] => {
  const list = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = list.filter((p) => !(orgPermissions as readonly string[]).includes(p));
  if (list.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`a comma-separated list of: ${orgPermissions.join(', ')}`);
  }
  return list;
};
roles
  .command('list')
  .description('the built-in roles and the custom roles, with their permissions')
  .argument('<orgId>')
  .action(async (orgId: string) => print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/roles`)));
roles
  .command('create')
  .description('create a custom role; give its id as --role to users, invitations and keys')
  .argument('<orgId>')
  .requiredOption('--name <name>', 'role name')
  .requiredOption('--permissions <list>', 'comma-separated permissions', permissionList)
  .option('--description <text>', 'what the role is for')
  .action(async (orgId: string, o: { name: string; permissions: string[]; description?: string }) =>
    print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/roles`, o)),
  );
roles
  .command('update')
  .description('change a custom role; its holders get the change within seconds')
  .argument('<orgId>')
  .argument('<roleId>')
  .option('--name <name>', 'role name')
  .option('--permissions <list>', 'comma-separated permissions', permissionList)
  .option('--description <text>', 'what the role is for')
  .action(
    async (
      orgId: string,
      roleId: string,
      o: { name?: string; permissions?: string[]; description?: string },
    ) =>
      print(
        await call('PATCH', `/v1/orgs/${encodeURIComponent(orgId)}/roles/${encodeURIComponent(roleId)}`, o),
      ),
  );
roles
  .command('delete')
  .description('delete a custom role; its holders are granted nothing by it any more')
  .argument('<orgId>')
  .argument('<roleId>')
  .action(async (orgId: string, roleId: string) => {
    await call('DELETE', `/v1/orgs/${encodeURIComponent(orgId)}/roles/${encodeURIComponent(roleId)}`);
  });

const policies = program
  .command('policies')
  .description("an organisation's Cedar access policies (validated against the hub's schema)");
policies
  .command('list')
  .description("the org's policies, the Cedar schema they are checked against, and the base policy")
  .argument('<orgId>')
  .action(async (orgId: string) =>
    print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/policies`)),
  );
policies
  .command('put')
  .description('create or replace a policy from --statement, or from --file')
  .argument('<orgId>')
  .argument('<policyId>')
  .option('--statement <cedar>', 'one Cedar permit or forbid policy')
  .option('--file <path>', 'read the policy from a file')
  .option('--description <text>', 'what the policy is for')
  .action(
    async (
      orgId: string,
      policyId: string,
      o: { statement?: string; file?: string; description?: string },
    ) => {
      if (Boolean(o.statement) === Boolean(o.file)) throw new CliError('Give --statement or --file');
      const statement = o.statement ?? readFileSync(resolve(o.file as string), 'utf8');
      print(
        await call('PUT', `/v1/orgs/${encodeURIComponent(orgId)}/policies/${encodeURIComponent(policyId)}`, {
          statement,
          ...(o.description ? { description: o.description } : {}),
        }),
      );
    },
  );
policies
  .command('delete')
  .description('delete a policy')
  .argument('<orgId>')
  .argument('<policyId>')
  .action(async (orgId: string, policyId: string) => {
    await call('DELETE', `/v1/orgs/${encodeURIComponent(orgId)}/policies/${encodeURIComponent(policyId)}`);
  });

program
  .command('openapi')
  .description('print the OpenAPI document')
  .action(async () => print(await call('GET', '/v1/openapi.json', undefined, false)));

registerNotificationRuleCommands(program);
registerWebhookEndpointCommands(program);
registerNotificationPreferenceCommands(program);
registerRealtimeCommands(program);
registerApprovalCommands(program);
registerChatCommands(program);
registerSsoCommands(program);
registerSessionCommands(program);
registerPasskeyCommands(program);
registerSignInCommands(program);
registerScimTokenCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`hub: ${(error as Error).message}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
