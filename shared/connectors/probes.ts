import type { Provider } from './connection';
import { githubProbe } from './github/client';
import type { JiraTokens } from './jira/client';
import { makeJiraProbe } from './jira/client';
import type { ProviderProbe } from './outbound';

/** Every provider's outbound probe (the dry call of `POST …/connections/{id}/test`). */
export const providerProbes = (
  deps: { jiraTokens?: JiraTokens } = {},
): Partial<Readonly<Record<Provider, ProviderProbe>>> => ({
  github: githubProbe,
  jira: makeJiraProbe(deps.jiraTokens),
});
