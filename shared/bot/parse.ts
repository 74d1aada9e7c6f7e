import { KnownEventTypePatternSchema } from '../notify/model';

/** The bot's commands, the same on every chat platform. */
export type BotCommand =
  | { readonly name: 'help' }
  | { readonly name: 'status'; readonly key: string }
  | { readonly name: 'create'; readonly project: string; readonly title: string }
  /** `assignee`: an email address, or `@me` (the person asking). */
  | { readonly name: 'assign'; readonly key: string; readonly assignee: string }
  | { readonly name: 'move'; readonly key: string; readonly status: string }
  | { readonly name: 'link'; readonly key: string; readonly repository: string }
  | { readonly name: 'subscribe'; readonly pattern: string };

export type ParsedCommand =
  | { readonly ok: true; readonly command: BotCommand }
  | { readonly ok: false; readonly error: string };

/** The longest command text read (a slash command's text, a message to the bot). */
export const MAX_COMMAND_CHARS = 500;

const KEY = /^[A-Z][A-Z0-9_]{0,19}-[1-9][0-9]{0,8}$/;
const PROJECT = /^[A-Z][A-Z0-9_]{0,19}$/;
const REPOSITORY = /^[\w-][\w.-]{0,99}(\/[\w-][\w.-]{0,99}){1,3}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const MAX_TITLE = 255;
const MAX_STATUS = 100;

/** What each command takes, as `help` shows it. */
export const USAGE: Readonly<Record<BotCommand['name'], string>> = {
  status: 'status <key> — a work item with its links, pull requests and last sync',
  create: 'create <project> <title> — a work item in the project',
  assign: 'assign <key> <email|@me> — assign the work item',
  move: 'move <key> <status> — move the work item to a status',
  link: 'link <key> <repository> — a branch and a draft pull request for the work item',
  subscribe: 'subscribe [event pattern] — notifications of this conversation (all events by default)',
  help: 'help — these commands',
};

const usage = (name: BotCommand['name']) => `Usage: ${USAGE[name]}`;

/**
 * Reads a bot command (`/hub status WEB-12`, `status WEB-12`): bounded, whitespace-tolerant, keys
 * and projects case-insensitive; an unknown command or a malformed argument is a clear error.
 */
export function parseCommand(text: string): ParsedCommand {
  if (text.length > MAX_COMMAND_CHARS) {
    return { ok: false, error: `A command is at most ${MAX_COMMAND_CHARS} characters` };
  }
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words[0]?.toLowerCase() === '/hub') words.shift();
  const [verb = 'help', ...args] = words;
  const fail = (error: string): ParsedCommand => ({ ok: false, error });
  const key = (value: string | undefined) =>
    value && KEY.test(value.toUpperCase()) ? value.toUpperCase() : null;
  switch (verb.toLowerCase()) {
    case 'help':
      return { ok: true, command: { name: 'help' } };
    case 'status': {
      const k = key(args[0]);
      if (!k || args.length !== 1) return fail(`${usage('status')} (a key such as WEB-12)`);
      return { ok: true, command: { name: 'status', key: k } };
    }
    case 'create': {
      const [project, ...title] = args;
      const joined = title.join(' ');
      if (!project || !PROJECT.test(project.toUpperCase()) || joined.length === 0)
        return fail(usage('create'));
      if (joined.length > MAX_TITLE) return fail(`A title is at most ${MAX_TITLE} characters`);
      return { ok: true, command: { name: 'create', project: project.toUpperCase(), title: joined } };
    }
    case 'assign': {
      const k = key(args[0]);
      const who = args[1];
      if (!k || !who || args.length !== 2) return fail(usage('assign'));
      if (who.toLowerCase() !== '@me' && !EMAIL.test(who))
        return fail(`${usage('assign')} (an email address or @me)`);
      return {
        ok: true,
        command: {
          name: 'assign',
          key: k,
          assignee: who.toLowerCase() === '@me' ? '@me' : who.toLowerCase(),
        },
      };
    }
    case 'move': {
      const k = key(args[0]);
      const status = args.slice(1).join(' ');
      if (!k || status.length === 0) return fail(usage('move'));
      if (status.length > MAX_STATUS) return fail(`A status is at most ${MAX_STATUS} characters`);
      return { ok: true, command: { name: 'move', key: k, status } };
    }
    case 'link': {
      const k = key(args[0]);
      const repository = args[1];
      if (!k || !repository || args.length !== 2 || !REPOSITORY.test(repository)) {
        return fail(`${usage('link')} (a repository such as acme/web)`);
      }
      return { ok: true, command: { name: 'link', key: k, repository } };
    }
    case 'subscribe': {
      if (args.length > 1) return fail(usage('subscribe'));
      const pattern = args[0] ?? '*';
      const parsed = KnownEventTypePatternSchema.safeParse(pattern);
      if (!parsed.success)
        return fail(`${pattern.slice(0, 100)}: ${parsed.error.issues[0]?.message ?? 'not an event pattern'}`);
      return { ok: true, command: { name: 'subscribe', pattern } };
    }
    default:
      return fail(`Unknown command ${verb.slice(0, 40)}. Try: help`);
  }
}
