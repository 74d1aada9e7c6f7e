import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { credentialFields } from '../../shared/connectors/provider-catalog';
import type { ChatPart } from '../../shared/connectors/provider-module';
import { PROVIDER_MODULES } from '../../shared/providers';
import { CliError, call, print } from './context';

const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Each chat provider's app settings fields, from the schema its chat part exports. */
const CHAT_APPS = (
  PROVIDER_MODULES as readonly { id: string; displayName: string; chat?: ChatPart }[]
).flatMap((m) =>
  m.chat?.appSettings
    ? [
        {
          id: m.id,
          displayName: m.displayName,
          fields: credentialFields({ kind: m.id, description: '', schema: m.chat.appSettings }),
        },
      ]
    : [],
);

/**
 * `hub platform chat-apps get|set <provider>` (platform admins: the deployment's chat apps, flags
 * derived from each provider's settings schema, secrets only from a file or an environment variable)
 * `hub chat-installs start <orgId> <provider>` (the URL that installs a chat app for the org),
 * `hub chat-installs bind-code <orgId> <connectionId>` (a one-time code that binds a chat installation, such as a tenant, to the org),
 * `hub chat-links confirm <orgId> <token>` (link your chat account to yourself) and
 * `hub chat-links unlink <orgId> <provider> <platformUserId>` (unlink it).
 */
export function registerChatCommands(program: Command): void {
  const platform =
    program.commands.find((c) => c.name() === 'platform') ??
    program.command('platform').description('platform administration (platform admins)');
  const apps = platform
    .command('chat-apps')
    .description("the deployment's chat apps (client ids, secrets, signing secrets)");
  apps
    .command('get')
    .description("a chat provider's app settings, without their secrets")
    .argument('<provider>')
    .action(async (provider: string) =>
      print(await call('GET', `/v1/platform/chat-apps/${encodeURIComponent(provider)}`)),
    );
  const set = apps
    .command('set')
    .description("set a chat provider's app settings (stored encrypted; secrets never shown again)")
    .argument('<provider>');
  const flags = new Map<string, boolean>();
  for (const app of CHAT_APPS) {
    for (const field of app.fields) {
      if (flags.has(field.name)) continue;
      flags.set(field.name, field.secret);
      const flag = kebab(field.name);
      if (field.secret) {
        set.option(`--${flag}-file <path>`, `read ${field.name} from a file`);
        set.option(`--${flag}-env <name>`, `read ${field.name} from an environment variable`);
        set.addOption(new Option(`--${flag} <value>`).hideHelp());
      } else {
        set.option(`--${flag} <value>`, field.schema.description ?? field.name);
      }
    }
  }
  set
    .addHelpText(
      'after',
      CHAT_APPS.length === 0
        ? '\nNo chat provider is installed.'
        : `\nProviders and their settings (secrets only from --<field>-file or --<field>-env):\n${CHAT_APPS.map(
            (a) =>
              `  ${a.id} (${a.displayName}): ${a.fields
                .map((f) =>
                  f.secret ? `--${kebab(f.name)}-file|--${kebab(f.name)}-env` : `--${kebab(f.name)}`,
                )
                .join(' ')}`,
          ).join('\n')}`,
    )
    .action(async (provider: string, o: Record<string, string | undefined>) => {
      const app = CHAT_APPS.find((a) => a.id === provider);
      if (!app) throw new CliError(`No chat provider ${provider} takes app settings`);
      const own = new Set(app.fields.map((f) => f.name));
      const body: Record<string, string> = {};
      for (const [name, secret] of flags) {
        const flag = kebab(name);
        if (secret && o[camel(flag)] !== undefined)
          throw new CliError(`${name} is a secret: use --${flag}-file <path> or --${flag}-env <name>`);
        const [file, env, plain] = secret
          ? [o[camel(`${flag}-file`)], o[camel(`${flag}-env`)], undefined]
          : [undefined, undefined, o[camel(flag)]];
        if (file === undefined && env === undefined && plain === undefined) continue;
        if (!own.has(name)) throw new CliError(`${provider} app settings have no ${name}`);
        if (file !== undefined && env !== undefined)
          throw new CliError(`Give --${flag}-file or --${flag}-env, not both`);
        const value =
          plain ??
          (file !== undefined ? readFileSync(resolve(file), 'utf8').trim() : process.env[env as string]);
        if (value === undefined) throw new CliError(`$${env} is not set (it holds ${name})`);
        body[name] = value;
      }
      print(await call('PUT', `/v1/platform/chat-apps/${encodeURIComponent(provider)}`, body));
    });

  const installs = program
    .command('chat-installs')
    .description("installing a chat platform's app for an org");
  installs
    .command('start')
    .description(
      'the URL to open in a browser signed in to the platform: installs the app for the org (a signed, single-use state, valid for minutes)',
    )
    .argument('<orgId>')
    .argument('<provider>', 'a chat provider installed with OAuth')
    .action(async (orgId: string, provider: string) =>
      print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/chat-installs`, { provider })),
    );
  installs
    .command('bind-code')
    .description(
      'a one-time code that claims the chat installation a connection names (a tenant) for the org: someone there sends the bot `connect <code>` (shown once, single use); where the platform asks it (a tenant), the binding then stays pending until an admin of that installation confirms by signing in with the link the bot answers with (as the code instructions say)',
    )
    .argument('<orgId>')
    .argument('<connectionId>', 'a chat connection bound by code (its provider binds installations by code)')
    .option('--expires-in-minutes <minutes>', 'how long it may wait to be used (1-60, default 15)')
    .action(async (orgId: string, connectionId: string, o: { expiresInMinutes?: string }) => {
      const minutes = o.expiresInMinutes === undefined ? undefined : Number(o.expiresInMinutes);
      if (minutes !== undefined && !Number.isInteger(minutes))
        throw new CliError('--expires-in-minutes takes a whole number of minutes');
      print(
        await call(
          'POST',
          `/v1/orgs/${encodeURIComponent(orgId)}/connections/${encodeURIComponent(connectionId)}/bind-codes`,
          minutes === undefined ? {} : { expiresInMinutes: minutes },
        ),
      );
    });

  const links = program.command('chat-links').description("the chat bot's links");
  links
    .command('confirm')
    .description('link the chat account a bot link names to yourself (sign in as yourself: a user token)')
    .argument('<orgId>')
    .argument('<token>', 'the last part of the link the bot sent')
    .action(async (orgId: string, token: string) =>
      print(await call('POST', `/v1/orgs/${encodeURIComponent(orgId)}/chat-links`, { token })),
    );
  links
    .command('unlink')
    .description('unlink your own chat account (sign in as yourself: a user token)')
    .argument('<orgId>')
    .argument('<provider>', 'the chat provider')
    .argument('<platformUserId>', "the platform's user id (a refused link names yours)")
    .action(async (orgId: string, provider: string, platformUserId: string) =>
      print(
        await call(
          'DELETE',
          `/v1/orgs/${encodeURIComponent(orgId)}/chat-links/${encodeURIComponent(provider)}/${encodeURIComponent(platformUserId)}`,
        ),
      ),
    );
}
