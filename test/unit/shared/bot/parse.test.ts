import { MAX_COMMAND_CHARS, parseCommand } from '../../../../shared/bot/parse';

describe('the bot command parser', () => {
  it.each([
    ['/hub status web-12', { name: 'status', key: 'WEB-12' }],
    ['  status   WEB-12  ', { name: 'status', key: 'WEB-12' }],
    ['create web Fix the login page', { name: 'create', project: 'WEB', title: 'Fix the login page' }],
    ['assign WEB-12 @me', { name: 'assign', key: 'WEB-12', assignee: '@me' }],
    ['assign WEB-12 Ada@Example.com', { name: 'assign', key: 'WEB-12', assignee: 'ada@example.com' }],
    ['move WEB-12 In Progress', { name: 'move', key: 'WEB-12', status: 'In Progress' }],
    ['link WEB-12 acme/web', { name: 'link', key: 'WEB-12', repository: 'acme/web' }],
    ['subscribe', { name: 'subscribe', pattern: '*' }],
    ['subscribe pull_request.*', { name: 'subscribe', pattern: 'pull_request.*' }],
    ['help', { name: 'help' }],
    ['', { name: 'help' }],
    ['/hub', { name: 'help' }],
  ])('reads %j', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['status', /Usage: status/],
    ['status WEB', /Usage: status/],
    ['status WEB-12 extra', /Usage: status/],
    ['create WEB', /Usage: create/],
    ['assign WEB-12 someone', /email address or @me/],
    ['move WEB-12', /Usage: move/],
    ['link WEB-12 not a repo', /Usage: link/],
    ['link WEB-12 ../etc', /Usage: link/],
    ['subscribe nonsense.event', /names no event type/],
    ['deploy everything', /Unknown command deploy/],
  ])('refuses %j with a clear error', (text, error) => {
    const parsed = parseCommand(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toMatch(error);
  });

  it('reads no command longer than its bound', () => {
    const parsed = parseCommand(`create WEB ${'x'.repeat(MAX_COMMAND_CHARS)}`);
    expect(parsed).toEqual({ ok: false, error: `A command is at most ${MAX_COMMAND_CHARS} characters` });
  });

  it('refuses a title over 255 characters', () => {
    expect(parseCommand(`create WEB ${'x'.repeat(256)}`)).toEqual({
      ok: false,
      error: 'A title is at most 255 characters',
    });
  });
});
