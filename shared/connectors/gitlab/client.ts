import { createHash } from 'node:crypto';
import type { FormattedResponse, RequestOptions, ResourceOptions } from '@gitbeaker/requester-utils';
import { createRequesterFn } from '@gitbeaker/requester-utils';
import type {
  Branches,
  IssueNotes,
  Issues,
  MergeRequestApprovals,
  MergeRequestNotes,
  MergeRequests,
  Users,
} from '@gitbeaker/rest';
import { egressFetch, egressRefusal } from '../../egress';
import {
  type HubError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import type { Connection } from '../connection';
import { loadOnce } from '../load-once';
import { providerAnswer } from '../outbound';
import type { AccessTokens } from '../work-items';
import type { GitlabCredentials } from './credentials';

/** gitlab.com, unless the connection points at a self-managed instance. */
export const GITLAB_COM = 'https://gitlab.com';
/** The hub's bound on one call to GitLab (which itself gives webhooks 10 s): a silent server fails the call, retried later. */
export const GITLAB_TIMEOUT_MS = 10_000;

/** A wait GitLab asked for, in seconds: `Retry-After`, else `RateLimit-Reset` (epoch seconds), else a minute. */
function waitOf(headers: Headers, now = Date.now()): number {
  const retryAfter = Number(headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter, 3600);
  const reset = Number(headers.get('ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.min(Math.max(1, reset - Math.floor(now / 1000)), 3600);
  return 60;
}

/** GitLab's answer, as one of the hub's provider errors: its status and a hub-written phrase, never its body. */
export function gitlabFailure(status: number | undefined, headers?: Headers): HubError {
  const message = providerAnswer('GitLab', status);
  if (status === 429) return new ProviderRateLimitedError(message, headers ? waitOf(headers) : 60);
  if (status === 401 || status === 403) return new ProviderAuthError(message);
  if (status === 404) return new ProviderNotFoundError(message);
  // GitLab refused what the hub sent: retrying cannot help, the work is parked with the reason.
  if (status === 400 || status === 405 || status === 409 || status === 422)
    return new ValidationError(message);
  return new ProviderUnavailableError(message);
}

async function bodyOf(response: Response, asStream: boolean): Promise<FormattedResponse['body']> {
  if (asStream) return response.body as ReadableStream;
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
  if (type === 'application/json') return ((await response.json()) as FormattedResponse['body']) ?? {};
  return response.text();
}

/**
 * gitbeaker's requester, over the egress guard: each call to the connection's server only, bounded
 * in time, and GitLab's refusals mapped to the hub's provider errors. No retries here (gitbeaker's
 * own retries 429 and 502 ten times): the hub's failure policy retries with backoff, or parks.
 */
export function guardedRequester(options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {
  const timeoutMs = options.timeoutMs ?? GITLAB_TIMEOUT_MS;
  const call = options.fetch ?? egressFetch();
  return createRequesterFn(
    async (_resource: ResourceOptions, request: RequestOptions) => request,
    async (endpoint: string, raw?: Record<string, unknown>): Promise<FormattedResponse> => {
      const request = (raw ?? {}) as RequestOptions;
      const prefix = request.prefixUrl ?? '';
      const url = new URL(endpoint, prefix.endsWith('/') ? prefix : `${prefix}/`);
      url.search = request.searchParams ?? '';
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await call(url, {
          method: request.method ?? 'GET',
          headers: request.headers ?? {},
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
        });
      } catch (error) {
        throw (
          egressRefusal(error) ??
          new ProviderUnavailableError(providerAnswer('GitLab', undefined), { cause: error })
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw gitlabFailure(response.status, response.headers);
      }
      try {
        return {
          body: await bodyOf(response, request.asStream === true),
          headers: Object.fromEntries(response.headers.entries()),
          status: response.status,
        };
      } catch (error) {
        // A body cut off or over the egress bound: GitLab did not answer in full.
        throw (
          egressRefusal(error) ??
          new ProviderUnavailableError(providerAnswer('GitLab', undefined), { cause: error })
        );
      }
    },
  );
}

/** The gitbeaker resources the hub uses, for one connection. */
export interface GitlabApi {
  readonly issues: InstanceType<typeof Issues>;
  readonly issueNotes: InstanceType<typeof IssueNotes>;
  readonly mergeRequestNotes: InstanceType<typeof MergeRequestNotes>;
  readonly branches: InstanceType<typeof Branches>;
  readonly mergeRequests: InstanceType<typeof MergeRequests>;
  readonly approvals: InstanceType<typeof MergeRequestApprovals>;
  readonly users: InstanceType<typeof Users>;
}

/** Clients per connection and credentials: gitbeaker's resources are built once per execution environment. */
const clients = new Map<string, Promise<GitlabApi>>();

/**
 * gitbeaker, loaded with the first client built: a bundle that only verifies and normalises
 * webhooks (the webhook endpoint) never evaluates it at init.
 */
const loadGitbeaker = loadOnce(() => import('@gitbeaker/rest'));

/**
 * gitbeaker clients for the connection's server (gitlab.com or self-managed) with its token: an
 * access token as `PRIVATE-TOKEN`, or an OAuth application's access token as a bearer, asked for on
 * each request (the token source refreshes it, once, under the lock, and only for this server).
 */
export function gitlabApi(
  connection: Connection,
  credentials: GitlabCredentials,
  deps: { accessTokens?: AccessTokens | undefined; timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<GitlabApi> {
  const host = (connection.config.baseUrl ?? GITLAB_COM).replace(/\/+$/, '');
  const secretPart = credentials.kind === 'gitlab_token' ? credentials.token : credentials.refreshToken;
  const key = `${connection.id}:${host}:${createHash('sha256').update(secretPart).digest('hex')}:${deps.timeoutMs ?? ''}:${deps.fetch ? 'own' : ''}`;
  const known = clients.get(key);
  if (known) return known;
  let auth: { token: string } | { oauthToken: () => Promise<string> };
  if (credentials.kind === 'gitlab_token') auth = { token: credentials.token };
  else {
    const tokens = deps.accessTokens;
    if (!tokens) throw new ValidationError('GitLab OAuth connections are not available here');
    const baseUrl = connection.config.baseUrl ?? GITLAB_COM;
    auth = { oauthToken: () => tokens.token(connection.orgId, connection.id, baseUrl) };
  }
  const options = {
    host,
    ...auth,
    requesterFn: guardedRequester(deps),
    // The hub bounds each call itself; GitLab's own limits answer 429, which the hub's policy honours.
    queryTimeout: null,
    rateLimits: {},
  };
  const api = loadGitbeaker().then(
    (gl): GitlabApi => ({
      issues: new gl.Issues(options),
      issueNotes: new gl.IssueNotes(options),
      mergeRequestNotes: new gl.MergeRequestNotes(options),
      branches: new gl.Branches(options),
      mergeRequests: new gl.MergeRequests(options),
      approvals: new gl.MergeRequestApprovals(options),
      users: new gl.Users(options),
    }),
  );
  // A failed load is not kept: the next call tries again.
  api.catch(() => clients.delete(key));
  if (clients.size > 500) clients.clear();
  clients.set(key, api);
  return api;
}

/** Forgets a connection's clients (after GitLab refused its credentials). */
export function forgetGitlabClients(connectionId: string): void {
  for (const key of clients.keys()) if (key.startsWith(`${connectionId}:`)) clients.delete(key);
}
