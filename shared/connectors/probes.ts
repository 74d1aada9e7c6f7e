import type { Provider } from './connection';
import { githubProbe } from './github/client';
import { makeJiraProbe } from './jira/client';
import type { ProviderProbe } from './outbound';
import type { AccessTokens } from './work-items';

/** Every provider's outbound probe (the dry call of `POST …/connections/{id}/test`). */
export const providerProbes = (
  deps: { jiraTokens?: AccessTokens } = {},
): Partial<Readonly<Record<Provider, ProviderProbe>>> => ({
  github: githubProbe,
  jira: makeJiraProbe(deps.jiraTokens),
});
