import { UnauthenticatedError, ValidationError } from '../../errors';
import type { ProviderModule } from '../provider-module';
import { makeSlackChatClient } from './client';
import { slackCredentialKinds } from './credentials';
import { handleEvents } from './events';
import { handleCallback, handleInstall, slackInstallUrl } from './install';
import { makeSlackTokenSource } from './oauth';
import { SLACK_API, SlackAppSettingsSchema, slackLocalDefaults } from './settings';

const ELSEWHERE =
  'Slack posts to /slack/events (signed with the app’s signing secret), not to a connection’s webhook URL';

/**
 * Slack: a chat platform (notifications and the bot), one app per hub deployment installed into
 * workspaces with OAuth v2. Everything Slack sends goes to the app endpoint (`/slack/events`); the
 * per-connection webhook part every module has refuses every delivery, so a connection's
 * `/webhooks/slack/{id}` can never be a way in.
 */
export const slackProvider: ProviderModule<'slack', typeof slackCredentialKinds> = {
  id: 'slack',
  displayName: 'Slack',
  api: { defaultBaseUrl: SLACK_API, customBaseUrl: false, baseUrlHint: SLACK_API },
  credentials: slackCredentialKinds,
  webhook: {
    verify: async () => {
      throw new UnauthenticatedError(ELSEWHERE);
    },
    deliveryId: () => {
      throw new ValidationError(ELSEWHERE);
    },
    normalise: () => null,
    docs: {
      summary: 'Not used for Slack',
      setup: `Nothing to set up: ${ELSEWHERE}. Every delivery here is refused.`,
      headers: [],
    },
  },
  tokens: (deps) => makeSlackTokenSource(deps),
  chat: {
    inbound: ['install', 'oauth/callback', 'events'],
    appSettings: SlackAppSettingsSchema,
    localDefaults: slackLocalDefaults(),
    client: (deps) => makeSlackChatClient(deps),
    app: (deps) => ({
      handle: async (request) => {
        if (request.method === 'GET' && request.inbound === 'install') return handleInstall(deps, request);
        if (request.method === 'GET' && request.inbound === 'oauth/callback')
          return handleCallback(deps, request);
        if (request.method === 'POST' && request.inbound === 'events') return handleEvents(deps, request);
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
      },
    }),
    installUrl: (deps, by) => slackInstallUrl(deps, by),
    undeliverableDmFix:
      'Ask them to open the hub app in Slack once (its Messages tab) or to add it to their direct messages, and make sure they are a member of the connected workspace; the next notification then goes through.',
    docs: {
      install: "the person is sent to Slack's OAuth consent to install the app in a workspace.",
      callback: "Slack's install redirect, with the code it exchanges for the workspace's token.",
    },
    // The team's name Slack gave at install (the credentials' non-secret summary).
    installationName: (connection) => {
      const name = connection.credentials?.teamName;
      return typeof name === 'string' && name.length > 0 ? name : undefined;
    },
  },
  // Refreshing a rotating token stores it encrypted under a lock; installs create connections and bind the team.
  access: ['domain-table:write', 'secrets-key:decrypt', 'secrets-key:encrypt'],
};
