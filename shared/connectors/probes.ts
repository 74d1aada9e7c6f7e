import type { Provider } from './connection';
import { githubProbe } from './github/client';
import { jiraProbe } from './jira/client';
import type { ProviderProbe } from './outbound';

/** Every provider's outbound probe (the dry call of `POST …/connections/{id}/test`). */
export const PROVIDER_PROBES: Partial<Readonly<Record<Provider, ProviderProbe>>> = {
  github: githubProbe,
  jira: jiraProbe,
};
