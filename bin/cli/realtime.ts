import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import WebSocket from 'ws';
import { KnownEventTypePatternSchema } from '../../shared/notify/model';
import { SUBPROTOCOL } from '../../shared/realtime/protocol';
import { realtime } from '../../shared/topology';
import { bearer, CliError, call, globals } from './context';

/** Keeps the connection from idling out (API Gateway closes one idle for 10 minutes). */
const PING_EVERY_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 30_000;

function pattern(value: string, previous: string[] = []): string[] {
  const parsed = KnownEventTypePatternSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'not an event type pattern');
  return [...previous, parsed.data];
}

/** The real-time API's URL for the hub at `base`: ws(s)://…/v1/realtime?orgId=… */
export function realtimeUrl(base: string, orgId: string): URL {
  const url = new URL(realtime.path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('orgId', orgId);
  return url;
}

/**
 * Follows an org's events until interrupted: one JSON line per event on stdout, what happens to
 * the connection on stderr. A connection the hub ends (after its 2 hours) is opened again.
 */
async function watch(orgId: string, types: readonly string[]): Promise<void> {
  // The same gate as the API decides the subscription: ask it first, for its reason when it refuses.
  await call('GET', `/v1/orgs/${encodeURIComponent(orgId)}/events?limit=1`);
  const url = realtimeUrl(globals().url, orgId);
  let stopping = false;
  let backoff = 1000;
  let socket: WebSocket | undefined;
  const stop = () => {
    stopping = true;
    socket?.close(1000);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopping) {
    const outcome = await new Promise<'closed' | 'refused' | CliError>((resolve) => {
      let opened = false;
      const ws = new WebSocket(url, [SUBPROTOCOL], { headers: { authorization: `Bearer ${bearer()}` } });
      socket = ws;
      const ping = setInterval(() => ws.send(JSON.stringify({ action: 'ping' })), PING_EVERY_MS);
      // The hub's refusal of the upgrade is problem+json: its reason is the user's, and retrying cannot change a 4xx.
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          if (body.length < 4096) body += c.toString();
        });
        res.on('end', () => {
          clearInterval(ping);
          const status = res.statusCode ?? 0;
          let problem: { title?: string; detail?: string } = {};
          try {
            problem = JSON.parse(body) as typeof problem;
          } catch {
            problem = { detail: body };
          }
          resolve(
            status >= 400 && status < 500
              ? new CliError(`${status} ${problem.title ?? 'Refused'}: ${problem.detail ?? ''}`.trim())
              : 'refused',
          );
        });
      });
      ws.on('error', () => undefined);
      ws.on('open', () => {
        opened = true;
        backoff = 1000;
        ws.send(JSON.stringify({ action: 'subscribe', types }));
      });
      ws.on('message', (raw) => {
        const data = JSON.parse(String(raw)) as {
          type?: string;
          event?: unknown;
          types?: string[];
          title?: string;
          detail?: string;
        };
        if (data.type === 'event') process.stdout.write(`${JSON.stringify(data.event)}\n`);
        else if (data.type === 'subscribed')
          process.stderr.write(`subscribed to ${(data.types ?? []).join(', ')} in ${orgId}\n`);
        else if (data.type === 'error')
          process.stderr.write(`hub: ${data.title}${data.detail ? `: ${data.detail}` : ''}\n`);
      });
      ws.on('close', () => {
        clearInterval(ping);
        resolve(opened ? 'closed' : 'refused');
      });
    });
    if (outcome instanceof CliError) throw outcome;
    if (stopping) break;
    if (outcome === 'refused' && backoff >= MAX_BACKOFF_MS) {
      throw new CliError(`The hub refused the real-time connection at ${url.origin}${url.pathname}`);
    }
    process.stderr.write(`connection ${outcome}; connecting again in ${backoff / 1000} s\n`);
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** `hub events watch`: the org's events, live. */
export function registerRealtimeCommands(program: Command): void {
  const events = program.commands.find((c) => c.name() === 'events');
  if (!events) throw new Error('The events command is registered before the real-time ones');
  events
    .command('watch')
    .description(
      "follow an organisation's events live (the real-time API), one JSON line each, until Ctrl-C; needs events:read",
    )
    .argument('<orgId>')
    .option('--type <pattern>', 'an event type, `prefix.*` or `*` (repeatable; default every type)', pattern)
    .action(async (orgId: string, o: { type?: string[] }) => watch(orgId, o.type ?? ['*']));
}
