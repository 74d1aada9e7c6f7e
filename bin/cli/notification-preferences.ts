import { type Command, InvalidArgumentError, Option } from 'commander';
import { call, pageQuery, positiveInt, print } from './context';

const path = (orgId: string, userId: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/users/${encodeURIComponent(userId)}/notification-preferences`;

function hour(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 23) throw new InvalidArgumentError('must be an hour, 0-23');
  return n;
}

function onOff(value: string): boolean {
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new InvalidArgumentError('must be on or off');
}

function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('must be a time, e.g. 2026-12-24T08:00:00Z');
  return new Date(ms).toISOString();
}

interface SetOptions {
  mute?: boolean;
  muteUntil?: string;
  eventTypes?: string;
  email?: boolean;
  chat?: boolean;
  digest?: string;
  dailyHour?: number;
}

/** `hub notifications preferences get|set` and `hub mail-suppressions list|delete`. */
export function registerNotificationPreferenceCommands(program: Command): void {
  // Another part may add its own `notifications` subcommands: one group for all of them.
  const notifications =
    program.commands.find((c) => c.name() === 'notifications') ??
    program
      .command('notifications')
      .description('notifications: preferences (and the other notification commands)');
  const preferences = notifications
    .command('preferences')
    .description("a user's notification preferences (your own, or anyone's with users:manage)");
  preferences
    .command('get')
    .description("show a user's notification preferences (defaults when never set)")
    .argument('<orgId>')
    .argument('<userId>')
    .action(async (orgId: string, userId: string) => print(await call('GET', path(orgId, userId))));
  preferences
    .command('set')
    .description("change a user's notification preferences: only the options given change")
    .argument('<orgId>')
    .argument('<userId>')
    .option('--mute', 'mute every notification until unmuted')
    .option('--no-mute', 'lift the mute')
    .option('--mute-until <time>', 'mute until this time (ISO 8601)', isoTime)
    .option(
      '--event-types <patterns>',
      'comma-separated event types wanted: pull_request.*,work_item.updated or *',
    )
    .option('--email <on|off>', 'email notifications on or off', onOff)
    .option('--chat <on|off>', 'chat notifications (direct messages) on or off', onOff)
    .addOption(
      new Option('--digest <period>', 'one email per hour or day instead of each at once').choices([
        'off',
        'hourly',
        'daily',
      ]),
    )
    .option('--daily-hour <hour>', 'the hour (UTC) a daily digest goes out', hour)
    .action(async (orgId: string, userId: string, o: SetOptions) => {
      const current = (await call('GET', path(orgId, userId))) as Record<string, unknown>;
      const { userId: _u, updatedAt: _t, ...next } = current;
      if (o.muteUntil !== undefined) next.mute = { until: o.muteUntil };
      else if (o.mute === true) next.mute = { until: null };
      else if (o.mute === false) next.mute = null;
      if (o.eventTypes !== undefined)
        next.eventTypes = o.eventTypes
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '');
      if (o.email !== undefined) next.channels = { ...(next.channels as object), email: o.email };
      if (o.chat !== undefined) next.channels = { ...(next.channels as object), chat: o.chat };
      if (o.digest !== undefined) next.digest = o.digest;
      if (o.dailyHour !== undefined) next.dailyHourUtc = o.dailyHour;
      print(await call('PUT', path(orgId, userId), next));
    });

  const suppressions = program
    .command('mail-suppressions')
    .description('addresses no email goes to (they bounced or complained)');
  suppressions
    .command('list')
    .description("list an organisation's suppressed addresses")
    .argument('<orgId>')
    .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action(async (orgId: string, o: { limit: number; cursor?: string }) =>
      print(await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/mail-suppressions?${pageQuery(o)}`)),
    );
  suppressions
    .command('delete')
    .description('lift the suppression of an address: email goes to it again')
    .argument('<orgId>')
    .argument('<address>')
    .action(async (orgId: string, address: string) =>
      print(
        await call(
          'DELETE',
          `/v1/orgs/${encodeURIComponent(orgId)}/mail-suppressions/${encodeURIComponent(address)}`,
        ),
      ),
    );
}
