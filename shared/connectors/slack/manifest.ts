import type { AppsManifestCreateArguments } from '@slack/web-api';
import { SLACK_BOT_SCOPES } from './settings';

type Manifest = AppsManifestCreateArguments['manifest'];

/**
 * The app manifest of the deployment's Slack app (api.slack.com/apps › Create New App › From a
 * manifest): every request Slack sends goes to the one signed endpoint `/slack/events`, the
 * consent comes back to `/slack/oauth/callback`, and token rotation is on (the hub keeps only
 * tokens it can renew). Events: the app's removal and revoked tokens end the connection.
 */
export function slackAppManifest(publicUrl: string, name = 'Integration Hub'): Manifest {
  const base = publicUrl.replace(/\/+$/, '');
  const events = `${base}/slack/events`;
  return {
    display_information: {
      name,
      description: 'Work items, pull requests and agent approvals where you work',
    },
    features: {
      bot_user: { display_name: 'hub', always_online: true },
      slash_commands: [
        {
          command: '/hub',
          url: events,
          description: 'Ask the hub: status, create, assign, move, link, subscribe',
          usage_hint: 'status WEB-12',
          should_escape: false,
        },
      ],
      shortcuts: [
        {
          name: 'Create a work item',
          type: 'message',
          callback_id: 'create',
          description: 'A work item from this message',
        },
      ],
    },
    oauth_config: { redirect_urls: [`${base}/slack/oauth/callback`], scopes: { bot: [...SLACK_BOT_SCOPES] } },
    settings: {
      event_subscriptions: { request_url: events, bot_events: ['app_uninstalled', 'tokens_revoked'] },
      interactivity: { is_enabled: true, request_url: events, message_menu_options_url: events },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: true,
    },
  };
}
