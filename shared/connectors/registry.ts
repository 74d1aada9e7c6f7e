import type { Provider } from './connection';
import type { WebhookConnector } from './connector';
import { genericConnector } from './generic/connector';
import { githubConnector } from './github/connector';
import { githubWorkItems } from './github/work-items';
import { jiraConnector } from './jira/connector';
import { jiraWorkItems } from './jira/work-items';
import type { WorkItemConnector } from './work-items';

/** Every provider's webhook connector. A new provider adds its folder and one line here. */
export const WEBHOOK_CONNECTORS: Readonly<Record<Provider, WebhookConnector>> = {
  generic: genericConnector,
  github: githubConnector,
  jira: jiraConnector,
};

/** Every provider that can be one side of a sync, as a tracker or a code host. */
export const WORK_ITEM_CONNECTORS: Readonly<Partial<Record<Provider, WorkItemConnector>>> = {
  github: githubWorkItems,
  jira: jiraWorkItems,
};
