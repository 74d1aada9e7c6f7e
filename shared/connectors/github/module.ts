import { sign } from '@octokit/webhooks-methods';
import { ValidationError } from '../../errors';
import type { ProviderModule } from '../provider-module';
import { githubProbe } from './client';
import { githubCredentialKinds } from './credentials';
import { normaliseGithubDelivery } from './normalise';
import { verifyGithubSignature } from './verify';
import { githubWorkItems } from './work-items';

/** GitHub (github.com and GitHub Enterprise Server): a code host, acting as a GitHub App installation. */
export const githubProvider: ProviderModule<'github', typeof githubCredentialKinds> = {
  id: 'github',
  displayName: 'GitHub',
  api: {
    defaultBaseUrl: 'https://api.github.com',
    customBaseUrl: true,
    baseUrlHint: "https://api.github.com (the default), or a GitHub Enterprise Server's https://host/api/v3",
  },
  credentials: githubCredentialKinds,
  webhook: {
    verify: verifyGithubSignature,
    deliveryId: (delivery) => {
      const id = delivery.headers['x-github-delivery'];
      if (!id) throw new ValidationError('The delivery has no X-GitHub-Delivery header');
      return id;
    },
    normalise: normaliseGithubDelivery,
    sign: async (secret, body, { id, event }) => ({
      'x-github-event': event ?? 'ping',
      'x-github-delivery': id,
      'x-hub-signature-256': await sign(secret, body),
    }),
    docs: {
      summary: 'GitHub (X-Hub-Signature-256, de-duplicated by X-GitHub-Delivery)',
      setup:
        "Configure it as the webhook of a GitHub App or repository, with the connection's secret and content " +
        'type `application/json`. `issues`, `issue_comment`, `pull_request`, `pull_request_review`, `push` and ' +
        '`create`/`delete` (branches and tags) become canonical events; every other event type is acknowledged ' +
        'with `{"ignored": true}`. A repeated `X-GitHub-Delivery` is acknowledged without publishing twice.',
      headers: ['X-GitHub-Event', 'X-GitHub-Delivery', 'X-Hub-Signature-256'],
    },
  },
  probe: () => githubProbe,
  sync: githubWorkItems,
  // Installation tokens are cached in memory by the client: nothing stored, no AWS access.
  access: [],
};
