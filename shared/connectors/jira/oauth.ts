import { ValidationError } from '../../errors';
import type { ConnectionCredentials } from '../connection';
import { openCredentials } from '../manage-connections';
import { makeOAuthTokenSource } from '../oauth-refresh';
import type { TokenSourceDeps } from '../provider-module';

type OAuthCredentials = Extract<ConnectionCredentials, { kind: 'jira_oauth' }>;

/**
 * Access tokens for Jira OAuth 2.0 (3LO) connections. Atlassian rotates the refresh token on every
 * refresh, so the shared refresh runs once per connection under its lock (`jira-oauth#<id>`).
 */
export function makeJiraTokenSource(deps: TokenSourceDeps & { fetch?: typeof fetch }) {
  return makeOAuthTokenSource<OAuthCredentials>(
    {
      name: 'Jira OAuth',
      lockPrefix: 'jira-oauth',
      auditActor: 'hub-jira-oauth',
      open: async (connection, encrypted) => {
        const credentials = await openCredentials(deps.cipher, connection, encrypted);
        if (credentials.kind !== 'jira_oauth') throw new ValidationError('Not an OAuth connection');
        return credentials;
      },
      // Atlassian's token endpoint takes JSON.
      refreshRequest: (current) => ({
        url: current.tokenUrl,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          client_id: current.clientId,
          client_secret: current.clientSecret,
          refresh_token: current.refreshToken,
        }),
      }),
    },
    deps,
  );
}

export type JiraTokenSource = ReturnType<typeof makeJiraTokenSource>;
