import type { Connection } from '../../../../../shared/connectors/connection';
import { providerCatalog } from '../../../../../shared/connectors/provider-catalog';
import { slackAppManifest } from '../../../../../shared/connectors/slack/manifest';
import { slackProvider } from '../../../../../shared/connectors/slack/module';
import { SlackAppSettingsSchema } from '../../../../../shared/connectors/slack/settings';
import { UnauthenticatedError, ValidationError } from '../../../../../shared/errors';
import { PROVIDERS } from '../../../../../shared/providers';

describe('the Slack provider module', () => {
  it('is listed, with its app endpoint paths, app settings that match the fake, and secret fields marked', () => {
    expect(PROVIDERS.ids).toContain('slack');
    expect(slackProvider.chat?.inbound).toEqual(['install', 'oauth/callback', 'events']);
    expect(SlackAppSettingsSchema.safeParse(slackProvider.chat?.localDefaults).success).toBe(true);
    const summary = PROVIDERS.summarise(
      {
        kind: 'slack_bot',
        teamId: 'T0A',
        botUserId: 'U0B',
        accessToken: 'xoxe.xoxb-secret',
        refreshToken: 'xoxe-1-secret',
        expiresAt: 1,
      },
      new Date(0),
    );
    expect(JSON.stringify(summary)).not.toContain('secret');
    expect(summary).toMatchObject({ kind: 'slack_bot', teamId: 'T0A', botUserId: 'U0B' });
  });

  it('refuses bot credentials given by hand: only the install writes them', () => {
    expect(() =>
      providerCatalog([slackProvider]).checkCredentials('slack', {
        kind: 'slack_bot',
        teamId: 'T0A',
        botUserId: 'U0B',
        accessToken: 'x',
        refreshToken: 'y',
        expiresAt: 1,
      } as never),
    ).toThrow(ValidationError);
  });

  it('names the workspace a connection is installed in by the team name Slack gave at install', () => {
    const installed = (credentials: Connection['credentials']) => ({ credentials }) as Connection;
    expect(
      slackProvider.chat?.installationName?.(
        installed({ kind: 'slack_bot', teamId: 'T0A', teamName: 'Acme', setAt: '2026-03-01T12:00:00Z' }),
      ),
    ).toBe('Acme');
    expect(
      slackProvider.chat?.installationName?.(
        installed({ kind: 'slack_bot', teamId: 'T0A', setAt: '2026-03-01T12:00:00Z' }),
      ),
    ).toBeUndefined();
    expect(slackProvider.chat?.installationName?.(installed(null))).toBeUndefined();
  });

  it("refuses every delivery to a connection's webhook URL: Slack posts to /slack/events", async () => {
    await expect(
      slackProvider.webhook.verify('s', { headers: {}, body: '{}' } as never),
    ).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe("the Slack app's manifest", () => {
  it('sends everything to the signed endpoint, brings the consent back to the callback, and turns token rotation on', () => {
    const manifest = slackAppManifest('https://hub.example.test/');
    expect(manifest.settings).toMatchObject({
      event_subscriptions: {
        request_url: 'https://hub.example.test/slack/events',
        bot_events: ['app_uninstalled', 'tokens_revoked'],
      },
      interactivity: { is_enabled: true, request_url: 'https://hub.example.test/slack/events' },
      token_rotation_enabled: true,
    });
    expect(manifest.oauth_config?.redirect_urls).toEqual(['https://hub.example.test/slack/oauth/callback']);
    expect(manifest.features?.slash_commands?.[0]).toMatchObject({
      command: '/hub',
      url: 'https://hub.example.test/slack/events',
    });
    expect(manifest.oauth_config?.scopes?.bot).toEqual(
      expect.arrayContaining(['chat:write', 'commands', 'users:read.email']),
    );
  });
});

describe("the API's credentials input", () => {
  it('does not take the Slack bot credentials an install writes', () => {
    const given = {
      kind: 'slack_bot',
      teamId: 'T0A',
      botUserId: 'U0B',
      accessToken: 'x',
      refreshToken: 'y',
      expiresAt: 1,
    };
    expect(PROVIDERS.credentialsSchema.safeParse(given).success).toBe(false);
    expect(PROVIDERS.credentialsSchema.safeParse({ kind: 'gitlab_token', token: 'glpat-x' }).success).toBe(
      true,
    );
  });
});
