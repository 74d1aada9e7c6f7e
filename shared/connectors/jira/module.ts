import { sign } from '@octokit/webhooks-methods';
import { ValidationError } from '../../errors';
import type { ProviderModule } from '../provider-module';
import { makeJiraProbe } from './client';
import { jiraCredentialKinds } from './credentials';
import { normaliseJiraDelivery } from './normalise';
import { makeJiraTokenSource } from './oauth';
import { verifyJiraSignature } from './verify';
import { jiraWorkItems } from './work-items';

/** Jira Cloud: a tracker, on the connection's own site (API token or OAuth 2.0 3LO). */
export const jiraProvider: ProviderModule<'jira', typeof jiraCredentialKinds> = {
  id: 'jira',
  displayName: 'Jira',
  api: {
    // Every site differs: a connection must name its own.
    defaultBaseUrl: null,
    customBaseUrl: true,
    baseUrlHint:
      'the Jira site, e.g. https://acme.atlassian.net (with OAuth, https://api.atlassian.com/ex/jira/{cloudId})',
  },
  credentials: jiraCredentialKinds,
  webhook: {
    verify: verifyJiraSignature,
    // Stays the same on Jira's retries.
    deliveryId: (delivery) => {
      const id = delivery.headers['x-atlassian-webhook-identifier'];
      if (!id) throw new ValidationError('The delivery has no X-Atlassian-Webhook-Identifier header');
      return id;
    },
    normalise: normaliseJiraDelivery,
    // WebSub's form: `sha256=<hex>` of the raw body.
    sign: async (secret, body, { id }) => ({
      'x-atlassian-webhook-identifier': id,
      'x-hub-signature': await sign(secret, body),
    }),
    docs: {
      summary: 'Jira Cloud (X-Hub-Signature, de-duplicated by X-Atlassian-Webhook-Identifier)',
      setup:
        "Register it as a Jira Cloud admin webhook with the connection's secret. `jira:issue_*`, `comment_*`, " +
        '`sprint_*` and `jira:version_*` become canonical events; other events are acknowledged with ' +
        '`{"ignored": true}`. A repeated `X-Atlassian-Webhook-Identifier` is acknowledged without publishing twice.',
      headers: ['X-Hub-Signature', 'X-Atlassian-Webhook-Identifier'],
    },
  },
  probe: ({ accessTokens }) => makeJiraProbe(accessTokens),
  tokens: (deps) => makeJiraTokenSource(deps),
  sync: jiraWorkItems,
  // Refreshing an OAuth token stores the new one encrypted, under a lock.
  access: ['domain-table:write', 'secrets-key:decrypt', 'secrets-key:encrypt'],
};
