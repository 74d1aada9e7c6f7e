import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../lib/local/free-port';

export interface FakeJira {
  readonly url: string;
  readonly calls: { method: string; path: string; status: number }[];
  failNext(status: number, headers?: Record<string, string>): void;
  readonly samples: { myself: unknown };
  stop(): Promise<void>;
}

/**
 * A loopback stand-in for a Jira Cloud site, as much of it as the hub calls: the current user with
 * basic auth (email and API token). Responses are parsed by jira.js's own schemas, generated from
 * Jira's OpenAPI description, so a shape that drifted would fail there.
 */
export async function startFakeJira(
  account: { email: string; apiToken: string },
  options: { port?: number } = {},
): Promise<FakeJira> {
  const calls: FakeJira['calls'] = [];
  let failure: { status: number; headers: Record<string, string> } | null = null;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const base = `http://${req.headers.host}`;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (failure) {
      const { status, headers } = failure;
      failure = null;
      return answer(status, { errorMessages: ['Injected failure'], errors: {} }, headers);
    }
    const expected = `Basic ${Buffer.from(`${account.email}:${account.apiToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return answer(401, {
        errorMessages: ['Client must be authenticated to access this resource.'],
        errors: {},
      });
    }
    if (req.method === 'GET' && url.pathname === '/rest/api/3/myself') return answer(200, myself(base));
    return answer(404, { errorMessages: ['Not found'], errors: {} });
  });
  const myself = (base: string) => ({
    self: `${base}/rest/api/3/user?accountId=5b10ac8d82e05b22cc7d4ef5`,
    accountId: '5b10ac8d82e05b22cc7d4ef5',
    accountType: 'atlassian',
    emailAddress: account.email,
    avatarUrls: {
      '48x48': `${base}/avatar/48`,
      '24x24': `${base}/avatar/24`,
      '16x16': `${base}/avatar/16`,
      '32x32': `${base}/avatar/32`,
    },
    displayName: 'Hub Bot',
    active: true,
    timeZone: 'Etc/UTC',
    locale: 'en_US',
    groups: { size: 1, items: [] },
    applicationRoles: { size: 1, items: [] },
    expand: 'groups,applicationRoles',
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    url: listening.endpoint,
    calls,
    failNext: (status, headers = {}) => {
      failure = { status, headers };
    },
    samples: { myself: myself(listening.endpoint) },
    stop: listening.stop,
  };
}
