import { makeOAuthTokenSource, openCredentials } from '../oauth-refresh';
import type { TokenSourceDeps } from '../provider-module';
import { GITLAB_COM } from './client';
import type { GitlabOAuthCredentials } from './credentials';
import { GitlabOAuthCredentialsSchema, tokenUrlOf } from './credentials';

/**
 * Access tokens for GitLab OAuth applications. GitLab rotates the refresh token on every refresh
 * (the old one is revoked), so the shared refresh runs once per connection under its lock
 * (`gitlab-oauth#<id>`), and rotated tokens are stored before the access token is used.
 */
export function makeGitlabTokenSource(deps: TokenSourceDeps & { fetch?: typeof fetch }) {
  return makeOAuthTokenSource<GitlabOAuthCredentials>(
    {
      name: 'GitLab OAuth',
      lockPrefix: 'gitlab-oauth',
      auditActor: 'hub-gitlab-oauth',
      open: (connection, encrypted) =>
        openCredentials(
          deps.cipher,
          connection,
          encrypted,
          GitlabOAuthCredentialsSchema,
          'Not a GitLab OAuth connection',
        ),
      // GitLab's token endpoint (Doorkeeper) takes a form.
      refreshRequest: (current, connection) => ({
        url: tokenUrlOf(current, connection.config.baseUrl ?? GITLAB_COM),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: current.clientId,
          client_secret: current.clientSecret,
          refresh_token: current.refreshToken,
          ...(current.redirectUri ? { redirect_uri: current.redirectUri } : {}),
        }).toString(),
      }),
    },
    deps,
  );
}

export type GitlabTokenSource = ReturnType<typeof makeGitlabTokenSource>;
