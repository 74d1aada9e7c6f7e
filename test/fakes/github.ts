import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { jwtVerify } from 'jose';
import { listenOnLoopback } from '../../lib/local/free-port';
import { FakeRepositories, WEBHOOK_REPOSITORY } from './github-repositories';
import { responseProblems } from './github-spec';
import { hmacSha256, Stall, WebhookSender, webhookTargetRequest } from './webhook-sender';

/** A person using GitHub with a token of their own: their changes reach the hub only through webhooks. */
export const GITHUB_HUMAN = { login: 'octo-human', token: 'ghp_fakeHumanToken000000000000000000000' };

/** A GitHub App as the fake knows it: its id and the public half of its key. */
export interface FakeApp {
  readonly appId: string;
  readonly publicKey: KeyObject;
  readonly installationId: number;
}

export interface FakeGithub {
  readonly url: string;
  /** Every request the fake answered: method, path, status. */
  readonly calls: { method: string; path: string; status: number }[];
  /** The next request gets this answer instead (a 401, a 429 with Retry-After, a 502). */
  failNext(status: number, headers?: Record<string, string>): void;
  /** The next request is answered only after this long (a provider that stops answering). */
  stallNext(ms: number): void;
  /** Uninstalls the app (true) or installs it again (false): its tokens and JWTs are refused meanwhile. */
  setRevoked(revoked: boolean): void;
  /** What it answers, for checking against GitHub's OpenAPI description. */
  readonly samples: { accessToken: unknown; installationRepositories: unknown };
  /** The issues, branches and pull requests the fake holds, repository by repository. */
  readonly repositories: FakeRepositories;
  /** The webhooks the fake sends when something changes (set a target to receive them). */
  readonly webhooks: WebhookSender;
  /** Every request fails with this status until cleared with null (an outage). */
  setOutage(status: number | null): void;
  stop(): Promise<void>;
}

/**
 * A loopback stand-in for the GitHub REST API, as much of it as the hub calls: GitHub App
 * installation tokens (the app's JWT is verified with its public key) and the installation's
 * repositories. Response shapes follow GitHub's OpenAPI description (checked in the tests).
 */
export async function startFakeGithub(
  app: FakeApp,
  repositories: unknown[] = [],
  options: { port?: number } = {},
): Promise<FakeGithub> {
  const tokens = new Set<string>();
  const calls: FakeGithub['calls'] = [];
  let failure: { status: number; headers: Record<string, string> } | null = null;
  let revoked = false;
  const accessToken = (token: string) => ({
    token,
    expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    permissions: { issues: 'write', pull_requests: 'write', contents: 'write', metadata: 'read' },
    repository_selection: 'all',
  });
  const installationRepositories = () => ({ total_count: repositories.length, repositories });
  const repos = new FakeRepositories();
  let outage: number | null = null;
  const stall = new Stall();
  const webhooks = new WebhookSender((delivery, secret) => ({
    'x-github-event': delivery.event,
    'x-github-delivery': delivery.id,
    'x-hub-signature-256': hmacSha256(secret, delivery.body),
    'user-agent': 'GitHub-Hookshot/fake',
  }));
  repos.onChange = (event, payload) => {
    const [owner = '', name = ''] = String(payload.repository).split('/');
    webhooks.send(event, {
      ...payload,
      repository: {
        ...WEBHOOK_REPOSITORY,
        name,
        full_name: `${owner}/${name}`,
        owner: { ...(WEBHOOK_REPOSITORY.owner as Record<string, unknown>), login: owner },
      },
      sender: { login: repos.actor.login, id: 1, type: repos.actor.appId ? 'Bot' : 'User' },
      installation: { id: app.installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u' },
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const target = await webhookTargetRequest(req, url.pathname, webhooks);
    if (target) return answer(target.status, target.body);
    await stall.wait();
    if (outage !== null) return answer(outage, { message: 'Service unavailable (injected outage)' });
    if (failure) {
      const { status, headers } = failure;
      failure = null;
      return answer(
        status,
        { message: status === 401 ? 'Bad credentials' : 'Injected failure', status: String(status) },
        headers,
      );
    }
    if (revoked) return answer(401, { message: 'Bad credentials', status: '401' });
    const auth = String(req.headers.authorization ?? '');
    const tokenRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    if (req.method === 'POST' && tokenRoute) {
      try {
        const jwt = /^bearer (.+)$/i.exec(auth)?.[1] ?? '';
        const { payload } = await jwtVerify(jwt, app.publicKey, { algorithms: ['RS256'] });
        if (String(payload.iss) !== app.appId) throw new Error('wrong app');
      } catch {
        return answer(401, { message: 'A JSON web token could not be decoded', status: '401' });
      }
      if (Number(tokenRoute[1]) !== app.installationId)
        return answer(404, { message: 'Not Found', status: '404' });
      const token = `ghs_${randomBytes(18).toString('base64url')}`;
      tokens.add(token);
      return answer(201, accessToken(token));
    }
    if (req.method === 'GET' && url.pathname === '/app') {
      try {
        const jwt = /^bearer (.+)$/i.exec(auth)?.[1] ?? '';
        await jwtVerify(jwt, app.publicKey, { algorithms: ['RS256'] });
      } catch {
        return answer(401, { message: 'A JSON web token could not be decoded', status: '401' });
      }
      const body = FakeRepositories.app(app.appId);
      const problems = responseProblems('/app', 'get', 200, body);
      return problems
        ? answer(500, { message: `The fake answered off-spec: ${problems}` })
        : answer(200, body);
    }
    const token = /^(?:token|bearer) (.+)$/i.exec(auth)?.[1] ?? '';
    const actor = tokens.has(token)
      ? { login: 'integration-hub[bot]', appId: app.appId }
      : token === GITHUB_HUMAN.token
        ? { login: GITHUB_HUMAN.login, appId: null }
        : null;
    if (!actor) return answer(401, { message: 'Bad credentials', status: '401' });
    if (req.method === 'GET' && url.pathname === '/installation/repositories') {
      return answer(200, installationRepositories());
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    let handled: ReturnType<FakeRepositories['handle']>;
    try {
      handled = repos.handle(req.method ?? 'GET', `${url.pathname}${url.search}`, body, actor);
    } catch (error) {
      return answer(500, { message: `The fake failed: ${(error as Error).message}` });
    }
    if (!handled) return answer(404, { message: 'Not Found', status: '404' });
    return answer(handled.status, handled.body, handled.headers);
  };
  // A client that hangs up mid-request (a runtime stopping) must not take the test process down.
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Longer than any pause of the test's event loop (a CLI run with spawnSync): the fake never closes
  // an idle connection the test's client is about to reuse.
  server.keepAliveTimeout = 60_000;
  const listening = await listenOnLoopback(server, options.port);
  return {
    url: listening.endpoint,
    calls,
    failNext: (status, headers = {}) => {
      failure = { status, headers };
    },
    setRevoked: (value) => {
      revoked = value;
      if (value) tokens.clear();
    },
    samples: { accessToken: accessToken('ghs_sample'), installationRepositories: installationRepositories() },
    repositories: repos,
    webhooks,
    setOutage: (status) => {
      outage = status;
    },
    stallNext: (ms) => stall.next(ms),
    stop: listening.stop,
  };
}
