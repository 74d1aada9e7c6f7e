import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../lib/local/free-port';
import type { GitlabUser } from './gitlab-projects';
import { FakeProjects, GitlabRefusal } from './gitlab-projects';
import { Stall, WebhookSender, webhookTargetRequest } from './webhook-sender';

type Json = Record<string, unknown>;

/** The hub's user: a project access token's bot user, as GitLab makes one. */
export const GITLAB_HUB: GitlabUser & { token: string } = {
  id: 77,
  username: 'project_12_bot_4f1c2d',
  name: 'Integration Hub',
  bot: true,
  token: 'glpat-fakeHubToken0000000000',
};
/** A person using GitLab with a token of their own: their changes reach the hub only through webhooks. */
export const GITLAB_HUMAN: GitlabUser & { token: string } = {
  id: 42,
  username: 'gl-human',
  name: 'Grace Lab',
  bot: false,
  publicEmail: 'grace@gitlab.example',
  token: 'glpat-fakeHumanToken00000000',
};
/** An OAuth application the fake knows; its refresh token rotates on each refresh, as GitLab's does. */
export const GITLAB_OAUTH_APP = { clientId: 'gl-app-id', clientSecret: 'gl-app-secret' };

export interface FakeGitlab {
  readonly url: string;
  /**
   * Every request the fake answered: method, path (decoded), query string, status; and, for the
   * contract test, the path as sent (`rawPath`, ids still URL-encoded) and the parsed body.
   */
  readonly calls: {
    method: string;
    path: string;
    query: string;
    status: number;
    rawPath?: string;
    body?: Json;
  }[];
  /** The next request gets this answer instead (a 401, a 429 with Retry-After or RateLimit-Reset, a 502). */
  failNext(status: number, headers?: Record<string, string>): void;
  /** The next request is answered only after this long (a server that stops answering). */
  stallNext(ms: number): void;
  /** Every request fails with this status until cleared with null (an outage). */
  setOutage(status: number | null): void;
  /**
   * Lists at most this many items a page, whatever `per_page` asks (null: GitLab's own cap of
   * 100), as a project with more issues than the hub's page would: the scan goes page by page.
   */
  setMaxPerPage(size: number | null): void;
  readonly projects: FakeProjects;
  /** The webhooks the fake sends (set a target: the hub's URL and the connection's secret token). */
  readonly webhooks: WebhookSender;
  /** The OAuth application's state: the one live refresh token, and how many refreshes happened. */
  readonly oauth: { refreshToken: string; refreshes: number };
  stop(): Promise<void>;
}

const paged = (list: Json[], query: URLSearchParams, cap = 100) => {
  const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 20) || 20, 1), cap);
  const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  const pages = Math.max(1, Math.ceil(list.length / perPage));
  const headers: Record<string, string> = {
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-total': String(list.length),
    'x-total-pages': String(pages),
    'x-next-page': page < pages ? String(page + 1) : '',
    'x-prev-page': page > 1 ? String(page - 1) : '',
  };
  return { body: list.slice((page - 1) * perPage, page * perPage), headers };
};

/**
 * A loopback stand-in for the GitLab REST API (v4), as much of it as the hub calls: the token's
 * user, users by username, project issues (listing changes with GitLab's paging headers), notes,
 * branches, merge requests and their approvals, and the OAuth token endpoint. Changes send the
 * webhooks GitLab documents, with `X-Gitlab-Token`, `X-Gitlab-Event` and `X-Gitlab-Event-UUID`.
 */
export async function startFakeGitlab(
  options: { port?: number; refreshToken?: string } = {},
): Promise<FakeGitlab> {
  const calls: FakeGitlab['calls'] = [];
  let failure: { status: number; headers: Record<string, string> } | null = null;
  let outage: number | null = null;
  let maxPerPage = 100;
  const stall = new Stall();
  const oauth = { refreshToken: options.refreshToken ?? 'gl-refresh-1', refreshes: 0 };
  const oauthTokens = new Set<string>();
  const webhooks = new WebhookSender((delivery, secret) => ({
    'x-gitlab-event': delivery.event,
    'x-gitlab-token': secret,
    'x-gitlab-event-uuid': delivery.id,
    'x-gitlab-webhook-uuid': '9b8b6f9e-0000-4000-8000-000000000001',
    'idempotency-key': delivery.id,
    'user-agent': 'GitLab/18.0.0',
  }));
  let url = '';
  const state: { projects?: FakeProjects } = {};

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const segments = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const path = `/${segments.join('/')}`;
    let received: Json | undefined;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      calls.push({
        method: req.method ?? '',
        path,
        query: u.search,
        status,
        rawPath: u.pathname,
        ...(received ? { body: received } : {}),
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === null ? '' : JSON.stringify(body));
    };
    const target = await webhookTargetRequest(req, u.pathname, webhooks);
    if (target) return answer(target.status, target.body);
    await stall.wait();
    if (outage !== null)
      return answer(outage, { message: `${outage} Service Unavailable (injected outage)` });
    if (failure) {
      const { status, headers } = failure;
      failure = null;
      return answer(status, { message: status === 401 ? '401 Unauthorized' : 'Injected failure' }, headers);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const body: Json = !text
      ? {}
      : form
        ? Object.fromEntries(new URLSearchParams(text))
        : (JSON.parse(text) as Json);
    // The OAuth form carries the application's secret and a refresh token: not kept.
    if (text && path !== '/oauth/token') received = body;

    if (req.method === 'POST' && path === '/oauth/token') {
      if (
        body.client_id !== GITLAB_OAUTH_APP.clientId ||
        body.client_secret !== GITLAB_OAUTH_APP.clientSecret
      )
        return answer(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
      if (body.grant_type !== 'refresh_token' || body.refresh_token !== oauth.refreshToken)
        return answer(400, {
          error: 'invalid_grant',
          error_description: 'The provided authorization grant is invalid',
        });
      oauth.refreshes += 1;
      // GitLab revokes the refresh token it was given and issues a new one.
      oauth.refreshToken = `gl-refresh-${oauth.refreshes + 1}`;
      const access = `gl-oauth-${randomBytes(12).toString('hex')}`;
      oauthTokens.add(access);
      return answer(200, {
        access_token: access,
        token_type: 'Bearer',
        expires_in: 7200,
        refresh_token: oauth.refreshToken,
        scope: 'api',
        created_at: Math.floor(Date.now() / 1000),
      });
    }
    const privateToken = String(req.headers['private-token'] ?? '');
    const bearer = /^bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const actor =
      privateToken === GITLAB_HUB.token || oauthTokens.has(bearer)
        ? GITLAB_HUB
        : privateToken === GITLAB_HUMAN.token
          ? GITLAB_HUMAN
          : null;
    if (!actor) return answer(401, { message: '401 Unauthorized' });
    const projects = state.projects as FakeProjects;
    const [api, v4, resource, id, sub, subId, leaf, leafId] = segments;
    if (api !== 'api' || v4 !== 'v4') return answer(404, { error: '404 Not Found' });
    const m = req.method ?? 'GET';
    try {
      if (resource === 'user' && !id && m === 'GET') return answer(200, projects.currentUser(actor));
      if (resource === 'users' && !id && m === 'GET') {
        const search = u.searchParams.get('search');
        if (search !== null) {
          // GitLab's user search: part of a name or username, or a public email exactly.
          const term = search.toLowerCase();
          const hits = [...projects.users.values()].filter(
            (x) =>
              term &&
              (x.username.toLowerCase().includes(term) ||
                x.name.toLowerCase().includes(term) ||
                x.publicEmail?.toLowerCase() === term),
          );
          return answer(
            200,
            hits.map((x) => projects.userJson(x)),
          );
        }
        const user = projects.users.get(u.searchParams.get('username') ?? '');
        // GitLab's API_Entities_UserBasic, as a person (not an administrator) is answered.
        return answer(200, user ? [projects.userJson(user)] : []);
      }
      if (resource !== 'projects' || !id) return answer(404, { error: '404 Not Found' });
      const iid = Number(subId);
      if (sub === 'issues' && !subId && m === 'GET') {
        const { body: page, headers } = paged(
          projects.listIssues(id, u.searchParams),
          u.searchParams,
          maxPerPage,
        );
        return answer(200, page, headers);
      }
      if (sub === 'issues' && !subId && m === 'POST')
        return answer(201, projects.createIssue(id, actor, body));
      if (sub === 'issues' && subId && !leaf && m === 'GET') return answer(200, projects.issue(id, iid));
      if (sub === 'issues' && subId && !leaf && m === 'PUT')
        return answer(200, projects.updateIssue(id, iid, actor, body));
      if (sub === 'issues' && leaf === 'notes' && !leafId && m === 'GET') {
        const { body: page, headers } = paged(projects.notesOf(id, iid, u.searchParams), u.searchParams);
        return answer(200, page, headers);
      }
      if (sub === 'issues' && leaf === 'notes' && m === 'POST')
        return answer(201, projects.addNote(id, iid, actor, body));
      if (sub === 'repository' && subId === 'branches' && !leaf && m === 'POST')
        return answer(201, projects.createBranch(id, actor, body));
      if (sub === 'repository' && subId === 'branches' && leaf && m === 'GET')
        return answer(200, projects.branch(id, leaf));
      if (sub === 'merge_requests' && !subId && m === 'POST')
        return answer(201, projects.createMergeRequest(id, actor, body));
      if (sub === 'merge_requests' && subId && !leaf && m === 'GET')
        return answer(200, projects.mergeRequest(id, iid));
      if (sub === 'merge_requests' && leaf === 'approvals' && m === 'GET')
        return answer(200, projects.approvalsOf(id, iid, actor));
      if (sub === 'merge_requests' && leaf === 'approve' && m === 'POST')
        return answer(201, projects.approve(id, iid, actor));
      if (sub === 'merge_requests' && leaf === 'merge' && m === 'PUT')
        return answer(200, projects.merge(id, iid, actor));
      if (sub === 'merge_requests' && leaf === 'notes' && m === 'POST')
        return answer(201, projects.addNote(id, iid, actor, body, 'merge_request'));
      return answer(404, { error: '404 Not Found' });
    } catch (error) {
      if (error instanceof GitlabRefusal) return answer(error.status, { message: error.message });
      return answer(500, { message: `The fake failed: ${(error as Error).message}` });
    }
  };
  // A client that hangs up mid-request (a runtime stopping) must not take the test process down.
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const listening = await listenOnLoopback(server, options.port);
  url = listening.endpoint;
  const projects = new FakeProjects(url, [GITLAB_HUB, GITLAB_HUMAN]);
  state.projects = projects;
  projects.onChange = (hook, payload) => webhooks.send(hook, payload);
  return {
    url,
    calls,
    failNext: (status, headers = {}) => {
      failure = { status, headers };
    },
    stallNext: (ms) => stall.next(ms),
    setOutage: (status) => {
      outage = status;
    },
    setMaxPerPage: (size) => {
      maxPerPage = size ?? 100;
    },
    projects,
    webhooks,
    oauth,
    stop: listening.stop,
  };
}
