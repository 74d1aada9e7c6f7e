import type { Provider } from './connection';
import type { WebhookConnector } from './connector';
import { genericConnector } from './generic/connector';
import { githubConnector } from './github/connector';
import { jiraConnector } from './jira/connector';

/** Every provider's webhook connector. A new provider adds its folder and one line here. */
export const WEBHOOK_CONNECTORS: Readonly<Record<Provider, WebhookConnector>> = {
  generic: genericConnector,
  github: githubConnector,
  jira: jiraConnector,
};
