import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { call, json, pageQuery, positiveInt, print } from './context';

const aprPath = (orgId: string, approvalId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/approvals${approvalId ? `/${encodeURIComponent(approvalId)}` : ''}`;

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];
/** `approve=Approve it`: an option's slug and its label (the slug alone labels it too). */
const option = (value: string, previous: { id: string; label: string }[] = []) => {
  const [id = '', ...rest] = value.split('=');
  if (!id) throw new InvalidArgumentError('must be <slug>=<label>');
  return [...previous, { id, label: rest.join('=') || id }];
};
/** `<connectionId>:<conversation>`: a conversation on one of the org's chat connections. */
const chat = (value: string) => {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1)
    throw new InvalidArgumentError('must be <connectionId>:<conversation>');
  return { kind: 'chat', connectionId: value.slice(0, at), conversation: value.slice(at + 1) };
};

interface RequestOptions {
  question: string;
  option: { id: string; label: string }[];
  user?: string[];
  team?: string[];
  role?: string[];
  chat?: ReturnType<typeof chat>;
  expiresIn?: number;
  context?: Record<string, unknown>;
  callbackEndpoint?: string;
}

/** `hub approvals …`: an agent asks people to decide; people answer; the requester or an admin cancels. */
export function registerApprovalCommands(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('agent approvals: a question people decide, in chat or here; the first answer wins');
  approvals
    .command('request')
    .description('ask people to decide (as an agent: an API key with approvals:request)')
    .argument('<orgId>')
    .requiredOption('--question <text>', 'what to decide (≤ 2000 characters)')
    .requiredOption('--option <slug=label>', 'an option (repeat: 2 to 5)', option)
    .option('--user <userId>', 'a user who may answer (repeat or comma-separate)', list)
    .option('--team <teamId>', 'a team whose members may answer (repeat or comma-separate)', list)
    .option('--role <role>', 'a role whose holders may answer (repeat or comma-separate)', list)
    .option('--chat <connectionId:conversation>', 'post it to this conversation of a chat connection', chat)
    .option(
      '--expires-in <seconds>',
      'seconds until it expires unanswered (60 to 604800; a day by default)',
      positiveInt,
    )
    .option('--context <json>', 'your own JSON object, given back in its events (≤ 4 KiB)', json)
    .option('--callback-endpoint <endpointId>', 'a webhook endpoint that gets its events whatever its filter')
    .action(async (orgId: string, o: RequestOptions) =>
      print(
        await call('POST', aprPath(orgId), {
          question: o.question,
          options: o.option,
          answerers: {
            ...(o.user ? { userIds: o.user } : {}),
            ...(o.team ? { teamIds: o.team } : {}),
            ...(o.role ? { roles: o.role } : {}),
          },
          ...(o.chat ? { destination: o.chat } : {}),
          ...(o.expiresIn !== undefined ? { expiresIn: o.expiresIn } : {}),
          ...(o.context ? { context: o.context } : {}),
          ...(o.callbackEndpoint ? { callbackEndpointId: o.callbackEndpoint } : {}),
        }),
      ),
    );
  approvals
    .command('get')
    .description('an approval: pending, decided (by whom, when, through what), expired or cancelled')
    .argument('<orgId>')
    .argument('<approvalId>')
    .action(async (orgId: string, approvalId: string) =>
      print(await call('GET', aprPath(orgId, approvalId))),
    );
  approvals
    .command('list')
    .description('approvals, newest first')
    .argument('<orgId>')
    .option('--status <status>', 'pending, decided, expired or cancelled')
    .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action(async (orgId: string, o: { status?: string; limit: number; cursor?: string }) => {
      const query = pageQuery(o);
      if (o.status) query.set('status', o.status);
      print(await call('GET', `${aprPath(orgId)}?${query}`));
    });
  approvals
    .command('answer')
    .description('answer as yourself (a user token: no API key answers), if you are among its answerers')
    .argument('<orgId>')
    .argument('<approvalId>')
    .argument('<option>', "one of the approval's option slugs")
    .action(async (orgId: string, approvalId: string, chosen: string) =>
      print(await call('POST', `${aprPath(orgId, approvalId)}/answer`, { option: chosen })),
    );
  approvals
    .command('cancel')
    .description('cancel a pending approval (its requester, or an owner or admin)')
    .argument('<orgId>')
    .argument('<approvalId>')
    .action(async (orgId: string, approvalId: string) =>
      print(await call('POST', `${aprPath(orgId, approvalId)}/cancel`)),
    );
}
