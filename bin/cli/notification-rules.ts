import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, call, pageQuery, positiveInt, print } from './context';

const rulesPath = (orgId: string, ruleId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/notification-rules${ruleId ? `/${encodeURIComponent(ruleId)}` : ''}`;

/** A repeatable option: each use adds one value. */
const many = (value: string, previous: string[] = []) => [...previous, value];

interface RuleFlags {
  file?: string;
  name?: string;
  description?: string;
  eventType?: string[];
  endpoint?: string[];
  emailUser?: string[];
  emailTeam?: string[];
  emailAddress?: string[];
  chat?: string[];
  repository?: string[];
  project?: string[];
  label?: string[];
  status?: string[];
  assignee?: string[];
  author?: string[];
  provider?: string[];
  connection?: string[];
  disabled?: boolean;
  enabled?: boolean;
}

function withRuleFlags(command: Command): Command {
  return command
    .option(
      '--file <rule.json>',
      'the rule as JSON (as the API takes it); flags given as well override its fields',
    )
    .option('--name <name>', 'display name')
    .option('--description <text>', 'what the rule is for')
    .option(
      '--event-type <pattern>',
      'an event type or pattern (pull_request.merged, pull_request.*, *); repeatable',
      many,
    )
    .option('--endpoint <endpointId>', 'send to this webhook endpoint (ep_…); repeatable', many)
    .option('--email-user <userId>', 'email this user (usr_…); repeatable', many)
    .option('--email-team <teamId>', "email this team's members (team_…); repeatable", many)
    .option('--email-address <address>', 'email this address; repeatable', many)
    .option(
      '--chat <connectionId:conversation>',
      "post to a conversation of a chat connection (con_…:C0123, or con_…:user:usr_… for a user's DMs); repeatable",
      many,
    )
    .option('--repository <name>', 'only events in this repository (acme/web); repeatable', many)
    .option('--project <key>', 'only events in this project (PROJ); repeatable', many)
    .option('--label <label>', 'only work items with any of these labels; repeatable', many)
    .option(
      '--status <category>',
      'only work items in this status category (todo, in_progress, done); repeatable',
      many,
    )
    .option('--assignee <login-or-email>', 'only work items assigned to this person; repeatable', many)
    .option('--author <login-or-email>', 'only items written by this person; repeatable', many)
    .option('--provider <id>', 'only events from this provider; repeatable', many)
    .option('--connection <connectionId>', 'only events through this connection (con_…); repeatable', many);
}

/** The rule's fields the flags give (a file first, then the flags over it). */
function ruleFromFlags(o: RuleFlags): Record<string, unknown> {
  let rule: Record<string, unknown> = {};
  if (o.file) {
    try {
      rule = JSON.parse(readFileSync(o.file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`Cannot read the rule in ${o.file}: ${(error as Error).message}`);
    }
  }
  const set = (key: string, value: unknown) => {
    if (value !== undefined) rule[key] = value;
  };
  set('name', o.name);
  set('description', o.description);
  set('eventTypes', o.eventType);
  if (o.disabled) rule.enabled = false;
  if (o.enabled) rule.enabled = true;
  const containers = [...(o.repository ?? []), ...(o.project ?? [])];
  const conditions: Record<string, unknown> = {
    ...(containers.length > 0 ? { containers } : {}),
    ...(o.label ? { labels: o.label } : {}),
    ...(o.status ? { statusCategories: o.status } : {}),
    ...(o.assignee ? { assignees: o.assignee } : {}),
    ...(o.author ? { authors: o.author } : {}),
    ...(o.provider ? { providers: o.provider } : {}),
    ...(o.connection ? { connectionIds: o.connection } : {}),
  };
  if (Object.keys(conditions).length > 0) {
    rule.conditions = { ...((rule.conditions as Record<string, unknown> | undefined) ?? {}), ...conditions };
  }
  const destinations = [
    ...(o.endpoint ?? []).map((endpointId) => ({ kind: 'webhook_endpoint', endpointId })),
    ...(o.emailUser || o.emailTeam || o.emailAddress
      ? [
          {
            kind: 'email',
            ...(o.emailUser ? { userIds: o.emailUser } : {}),
            ...(o.emailTeam ? { teamIds: o.emailTeam } : {}),
            ...(o.emailAddress ? { addresses: o.emailAddress } : {}),
          },
        ]
      : []),
    ...(o.chat ?? []).map((value) => {
      const at = value.indexOf(':');
      if (at <= 0 || at === value.length - 1)
        throw new CliError(`--chat takes <connectionId>:<conversation> (con_…:C0123), not ${value}`);
      return { kind: 'chat', connectionId: value.slice(0, at), conversation: value.slice(at + 1) };
    }),
  ];
  if (destinations.length > 0) rule.destinations = destinations;
  return rule;
}

/** `hub notification-rules …`: which events go where. */
export function registerNotificationRuleCommands(program: Command): void {
  const rules = program
    .command('notification-rules')
    .description('notification rules: which events (types and conditions) go to which destinations');
  withRuleFlags(
    rules
      .command('create')
      .description('create a rule from flags (the common case) or from --file rule.json')
      .argument('<orgId>')
      .option('--disabled', 'create it disabled (try it first with `test`)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  hub notification-rules create org_… --name "Merged in web" --event-type pull_request.merged \\\n    --repository acme/web --endpoint ep_… --email-team team_…',
    )
    .action(async (orgId: string, o: RuleFlags) => {
      const rule = ruleFromFlags(o);
      // Said here, before any call: what a rule cannot be without.
      const missing = [
        ...(rule.name === undefined ? ['--name'] : []),
        ...(rule.eventTypes === undefined ? ['--event-type'] : []),
        ...(rule.destinations === undefined
          ? ['a destination (--endpoint, --email-user|team|address or --chat)']
          : []),
      ];
      if (missing.length > 0) throw new CliError(`A rule needs ${missing.join(', ')} (or --file rule.json)`);
      print(await call('POST', rulesPath(orgId), rule));
    });
  rules
    .command('list')
    .description("list an organisation's rules, newest first")
    .argument('<orgId>')
    .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
      print(await call('GET', `${rulesPath(orgId)}?${pageQuery(o)}`)),
    );
  rules
    .command('get')
    .description('read a rule')
    .argument('<orgId>')
    .argument('<ruleId>')
    .action(async (orgId: string, ruleId: string) => print(await call('GET', rulesPath(orgId, ruleId))));
  withRuleFlags(
    rules
      .command('update')
      .description(
        'change a rule: the fields given; conditions given are merged over --file, destinations replaced',
      )
      .argument('<orgId>')
      .argument('<ruleId>')
      .option('--enabled', 'enable it')
      .option('--disabled', 'disable it'),
  ).action(async (orgId: string, ruleId: string, o: RuleFlags) =>
    print(await call('PATCH', rulesPath(orgId, ruleId), ruleFromFlags(o))),
  );
  rules
    .command('delete')
    .description('delete a rule')
    .argument('<orgId>')
    .argument('<ruleId>')
    .action(async (orgId: string, ruleId: string) => {
      await call('DELETE', rulesPath(orgId, ruleId));
    });
  rules
    .command('test')
    .description(
      'show whether a rule matches a stored event or a sample, and what it would send (nothing is sent)',
    )
    .argument('<orgId>')
    .argument('<ruleId>')
    .option('--event <eventId>', 'one of the organisation’s stored events (evt_…)')
    .option(
      '--sample <type>',
      'a sample of this canonical event type, shaped to the rule (pull_request.merged)',
    )
    .action(async (orgId: string, ruleId: string, o: { event?: string; sample?: string }) => {
      if ((o.event === undefined) === (o.sample === undefined))
        throw new CliError('Pass either --event or --sample');
      print(
        await call(
          'POST',
          `${rulesPath(orgId, ruleId)}/test`,
          o.event ? { eventId: o.event } : { sample: o.sample },
        ),
      );
    });
}
