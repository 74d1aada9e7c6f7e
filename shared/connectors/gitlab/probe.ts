import { ProviderAuthError } from '../../errors';
import type { ProviderProbe } from '../outbound';
import type { AccessTokens } from '../work-items';
import { forgetGitlabClients, gitlabApi } from './client';
import { gitlabCredentials } from './credentials';

/**
 * The dry call of `POST …/connections/{id}/test`: `GET /api/v4/user`, which answers for personal,
 * project and group access tokens (the latter two act as their bot user) and for OAuth tokens.
 */
export const makeGitlabProbe = (deps: { accessTokens?: AccessTokens | undefined } = {}): ProviderProbe => ({
  test: async (connection, credentials) => {
    const parsed = gitlabCredentials(credentials);
    if (!parsed)
      throw new ProviderAuthError('A GitLab connection needs a GitLab access token or OAuth application');
    try {
      const user = await (await gitlabApi(connection, parsed, deps)).users.showCurrentUser();
      // What the server says of itself reaches the caller bounded, as a provider's errors do.
      return {
        userId: typeof user.id === 'number' ? user.id : null,
        username: String(user.username ?? '').slice(0, 255),
        bot: user.bot === true,
      };
    } catch (error) {
      if (error instanceof ProviderAuthError) forgetGitlabClients(connection.id);
      throw error;
    }
  },
});
