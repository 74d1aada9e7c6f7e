import type { ProviderModule } from '../provider-module';
import { GITLAB_COM } from './client';
import { gitlabCredentialKinds } from './credentials';
import { hookOf, normaliseGitlabDelivery } from './normalise';
import { makeGitlabTokenSource } from './oauth';
import { makeGitlabProbe } from './probe';
import { gitlabDeliveryId, verifyGitlabToken } from './verify';
import { gitlabWorkItems } from './work-items';

/** GitLab, gitlab.com or self-managed: a code host whose webhooks carry the connection's secret token. */
export const gitlabProvider: ProviderModule<'gitlab', typeof gitlabCredentialKinds> = {
  id: 'gitlab',
  displayName: 'GitLab',
  api: {
    defaultBaseUrl: GITLAB_COM,
    customBaseUrl: true,
    baseUrlHint: 'https://gitlab.com, or a self-managed instance such as https://gitlab.example.com',
  },
  credentials: gitlabCredentialKinds,
  webhook: {
    verify: verifyGitlabToken,
    deliveryId: gitlabDeliveryId,
    normalise: normaliseGitlabDelivery,
    // GitLab sends the secret token itself; the event name comes from the payload's `object_kind` unless given.
    sign: async (secret, body, { id, event }) => ({
      'x-gitlab-event': event ?? hookOf(body),
      'x-gitlab-token': secret,
      'x-gitlab-event-uuid': id,
      'idempotency-key': id,
    }),
    docs: {
      summary: 'Receives a GitLab webhook (project or group hook)',
      setup:
        "In the project's or group's Settings › Webhooks: this URL, the connection's webhook secret as the secret token, and the issue, comment, merge request, push, tag, pipeline and job events. The hub answers at once; other event types, system hooks, and confidential issues and notes (which are not copied to another tool) are acknowledged with `{\"ignored\": true}`. A repeated `X-Gitlab-Event-UUID` is acknowledged without publishing twice.",
      headers: ['X-Gitlab-Token', 'X-Gitlab-Event', 'X-Gitlab-Event-UUID', 'Idempotency-Key'],
    },
  },
  probe: (deps) => makeGitlabProbe(deps),
  tokens: (deps) => makeGitlabTokenSource(deps),
  sync: gitlabWorkItems,
  // Refreshing an OAuth token stores the rotated tokens encrypted, under a lock.
  access: ['domain-table:write', 'secrets-key:decrypt', 'secrets-key:encrypt'],
};
