import type { Octokit } from '@octokit/core';
import { egressFetch, egressRefusal } from '../../egress';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import type { Connection, ConnectionCredentials } from '../connection';
import { loadOnce } from '../load-once';
import type { ProviderProbe } from '../outbound';
import { providerAnswer } from '../outbound';

const guarded = egressFetch();

/** Octokit and its App auth, loaded at first use: a bundle that only verifies webhooks or describes credentials never evaluates them. */
const octokitSdk = loadOnce(() => import('./sdk'));

/** Octokit clients per connection and key: `@octokit/auth-app` caches installation tokens until shortly before expiry. */
const clients = new Map<string, Promise<Octokit>>();

/** An Octokit client acting as the connection's GitHub App installation, on its server (github.com or GHES). */
export function githubClient(
  connection: Connection,
  credentials: ConnectionCredentials,
  options: { timeoutMs?: number } = {},
): Promise<Octokit> {
  const timeout = options.timeoutMs ?? 10_000;
  if (credentials.kind !== 'github_app')
    throw new ValidationError('A GitHub connection needs GitHub App credentials');
  const key = `${connection.id}:${credentials.appId}:${credentials.installationId}:${connection.config.baseUrl}:${timeout}`;
  let client = clients.get(key);
  if (!client) {
    if (clients.size > 500) clients.clear();
    // The promise is kept (not the client once made), so concurrent first calls share one client and its token.
    client = octokitSdk().then(
      ({ Octokit, createAppAuth }) =>
        new Octokit({
          baseUrl: connection.config.baseUrl ?? 'https://api.github.com',
          authStrategy: createAppAuth,
          auth: {
            appId: credentials.appId,
            privateKey: credentials.privateKey,
            installationId: credentials.installationId,
          },
          userAgent: 'integration-hub',
          // Through the egress guard (public addresses, no redirect off the server). A GitHub that stops
          // answering fails the call (a provider outage: retried with backoff) instead of holding the worker.
          request: {
            fetch: (url: string | URL | Request, init?: RequestInit) =>
              guarded(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeout) }),
          },
        }),
    );
    const made = client;
    made.catch(() => {
      if (clients.get(key) === made) clients.delete(key);
    });
    clients.set(key, made);
  }
  return client;
}

/**
 * Forgets a connection's client and its cached installation token: after GitHub refused it (an
 * uninstall, a rotated key) the next call must authenticate afresh, not reuse the token for an hour.
 */
export function forgetGithubClient(connectionId: string): void {
  for (const key of clients.keys()) if (key.startsWith(`${connectionId}:`)) clients.delete(key);
}

/** GitHub's answer, as one of the hub's provider errors: its status and a bounded message, never its body. */
export function githubFailure(error: unknown): Error {
  const refused = egressRefusal(error);
  if (refused) return refused;
  const e = error as { status?: number; response?: { headers?: Record<string, string> } };
  const headers = e.response?.headers ?? {};
  // Octokit reports a call that got no answer as status 500 without a response.
  const message = providerAnswer('GitHub', e.response ? e.status : undefined);
  if (
    e.status === 429 ||
    (e.status === 403 && (headers['retry-after'] || headers['x-ratelimit-remaining'] === '0'))
  ) {
    const reset = Number(headers['x-ratelimit-reset']);
    const retryAfter = Number(headers['retry-after']);
    // A Retry-After that is not a number of seconds (an HTTP date, or junk) falls back to the reset.
    const wait =
      Number.isFinite(retryAfter) && retryAfter > 0
        ? retryAfter
        : Number.isFinite(reset)
          ? Math.max(1, reset - Math.floor(Date.now() / 1000))
          : 60;
    return new ProviderRateLimitedError(message, wait, { cause: error });
  }
  if (e.status === 401 || e.status === 403) return new ProviderAuthError(message, { cause: error });
  if (e.status === 404) return new ProviderNotFoundError(message, { cause: error });
  // GitHub refused what the hub sent: retrying cannot help, the work is parked with the reason.
  if (e.status === 422) return new ValidationError(message, [], { cause: error });
  return new ProviderUnavailableError(message, { cause: error });
}

export const githubProbe: ProviderProbe = {
  test: async (connection, credentials) => {
    try {
      const octokit = await githubClient(connection, credentials);
      const { data } = await octokit.request('GET /installation/repositories', {
        per_page: 1,
      });
      return { repositories: data.total_count };
    } catch (error) {
      const failure = githubFailure(error);
      if (failure instanceof ProviderAuthError) forgetGithubClient(connection.id);
      throw failure;
    }
  },
};
