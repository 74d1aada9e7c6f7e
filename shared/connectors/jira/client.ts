import type { createCloudClient } from 'jira.js';
// The error predicates from the core alone: importing the package root statically would evaluate
// the whole client (every API group and its schemas) at init, which loads at first use instead.
import {
  isApiError,
  isAuthError,
  isForbiddenError,
  isNotFoundError,
  isRateLimitError,
  RateLimitError,
} from 'jira.js/core';
import { egressRefusal, guardGlobalFetch } from '../../egress';
import {
  HubError,
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
import type { AccessTokens } from '../work-items';

export type JiraClient = ReturnType<typeof createCloudClient>;

/** jira.js's Cloud client, loaded at first use: a bundle that only verifies webhooks or describes credentials never evaluates it. */
const loadCloudClient = loadOnce(() => import('./sdk').then((jira) => jira.createCloudClient));

/**
 * A jira.js Cloud client for the connection's site: basic auth with an API token, or a bearer
 * token from OAuth 2.0 (3LO), asked for on each request so a refreshed token is used at once.
 * What the hub refuses (no site, wrong credentials) throws at once; the client comes once jira.js is loaded.
 */
export function jiraClient(
  connection: Connection,
  credentials: ConnectionCredentials,
  tokens?: AccessTokens,
): Promise<JiraClient> {
  if (!connection.config.baseUrl) throw new ValidationError('The Jira connection has no site URL');
  // jira.js calls the global fetch and takes no other: from the first Jira client on, the process's
  // fetch is the egress guard's (a module that merely imports this one keeps its own).
  guardGlobalFetch();
  if (credentials.kind === 'jira_oauth') {
    if (!tokens) throw new ValidationError('OAuth connections are not available here');
    const host = connection.config.baseUrl;
    // The token source hands out a token only while the connection still points at this host.
    return loadCloudClient().then((createCloudClient) =>
      createCloudClient({
        host,
        auth: { type: 'bearer', getToken: () => tokens.token(connection.orgId, connection.id, host) },
      }),
    );
  }
  if (credentials.kind !== 'jira_api_token')
    throw new ValidationError('A Jira connection needs an API token or OAuth credentials');
  const host = connection.config.baseUrl;
  return loadCloudClient().then((createCloudClient) =>
    createCloudClient({
      host,
      auth: { type: 'basic', email: credentials.email, apiToken: credentials.apiToken },
    }),
  );
}

/** Jira's answer, as one of the hub's provider errors: its status and a bounded message, never its body. */
export function jiraFailure(error: unknown): Error {
  const refused = egressRefusal(error);
  if (refused) return refused;
  const message = providerAnswer('Jira', isApiError(error) ? error.status : undefined);
  if (isRateLimitError(error)) {
    const ms = error instanceof RateLimitError ? error.retryAfterMs : undefined;
    return new ProviderRateLimitedError(message, Math.max(1, Math.ceil((ms ?? 60_000) / 1000)), {
      cause: error,
    });
  }
  if (isAuthError(error) || isForbiddenError(error)) return new ProviderAuthError(message, { cause: error });
  if (isNotFoundError(error)) return new ProviderNotFoundError(message, { cause: error });
  // Jira refused what the hub sent (400): retrying cannot help, the work is parked with the reason.
  if (isApiError(error) && error.status === 400) return new ValidationError(message, [], { cause: error });
  return new ProviderUnavailableError(message, { cause: error });
}

export const makeJiraProbe = (tokens?: AccessTokens): ProviderProbe => ({
  test: async (connection, credentials) => {
    try {
      const client = await jiraClient(connection, credentials, tokens);
      const me = await client.myself.getCurrentUser();
      // What the server says of itself reaches the caller bounded, as a provider's errors do.
      return {
        accountId: me.accountId?.slice(0, 128) ?? null,
        displayName: me.displayName?.slice(0, 200) ?? null,
      };
    } catch (error) {
      if (error instanceof HubError) throw error;
      throw jiraFailure(error);
    }
  },
});
