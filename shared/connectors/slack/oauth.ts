import { egressRefusal } from '../../egress';
import {
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../errors';
import { makeOAuthTokenSource, openCredentials } from '../oauth-refresh';
import type { TokenSourceDeps } from '../provider-module';
import type { SlackBotCredentials } from './credentials';
import { SlackBotCredentialsSchema } from './credentials';
import { retryAfterFor } from './rate-tiers';
import type { SlackAppSettings } from './settings';
import { SLACK_API, slackApp } from './settings';

/**
 * The bot tokens of Slack installations. With token rotation on, Slack's tokens live 12 hours and
 * each refresh (`oauth.v2.access`, `grant_type=refresh_token`) rotates the refresh token too, so the
 * shared refresh runs once per connection under its lock (`slack-oauth#<id>`), with the app's
 * client id and secret from the deployment's settings (never stored on the connection).
 */
export function makeSlackTokenSource(deps: TokenSourceDeps & { fetch?: typeof fetch }) {
  return makeOAuthTokenSource<SlackBotCredentials>(
    {
      name: 'Slack OAuth',
      lockPrefix: 'slack-oauth',
      auditActor: 'hub-slack-oauth',
      open: (connection, encrypted) =>
        openCredentials(
          deps.cipher,
          connection,
          encrypted,
          SlackBotCredentialsSchema,
          'Not a Slack installation',
        ),
      refreshRequest: async (current, connection) => {
        const appSecret = deps.appSecret;
        if (!appSecret) throw new ValidationError('The Slack app settings are not available here');
        const app = await slackApp(() => appSecret('slack'));
        return {
          url: `${(connection.config.baseUrl ?? SLACK_API).replace(/\/+$/, '')}/oauth.v2.access`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            client_id: app.clientId,
            client_secret: app.clientSecret,
            refresh_token: current.refreshToken,
          }).toString(),
        };
      },
    },
    deps,
  );
}

/** What an install's code is exchanged for (the bot's part of `oauth.v2.access`'s answer). */
export interface SlackInstall {
  readonly credentials: SlackBotCredentials;
  readonly installerUserId?: string;
}

/**
 * Exchanges the consent's code for the bot's tokens (`oauth.v2.access`) through the egress guard.
 * An answer without a refresh token means the app has token rotation off: refused (the hub keeps
 * only tokens it can renew, and the manifest turns rotation on).
 */
export async function exchangeSlackCode(
  call: typeof fetch,
  app: SlackAppSettings,
  code: string,
  redirectUri: string,
  now: Date,
): Promise<SlackInstall> {
  let response: Response;
  try {
    response = await call(`${app.apiUrl.replace(/\/+$/, '')}/oauth.v2.access`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        code,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        redirect_uri: redirectUri,
      }).toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    const refused = egressRefusal(cause);
    if (refused) throw refused;
    throw new ProviderUnavailableError('Slack OAuth: oauth.v2.access did not answer', { cause });
  }
  if (response.status === 429)
    throw new ProviderRateLimitedError(
      'Slack OAuth: rate limited (HTTP 429)',
      retryAfterFor('oauth.v2.access', response.headers.get('retry-after')),
    );
  if (response.status >= 500) throw new ProviderUnavailableError(`Slack OAuth: HTTP ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  const team = (body.team ?? {}) as Record<string, unknown>;
  const authed = (body.authed_user ?? {}) as Record<string, unknown>;
  if (body.ok !== true || typeof body.access_token !== 'string') {
    // Slack's codes are short words (`invalid_code`, `bad_redirect_uri`): safe to repeat.
    const error =
      typeof body.error === 'string' && /^[a-z_]{1,60}$/.test(body.error)
        ? body.error
        : `HTTP ${response.status}`;
    throw new ProviderAuthError(`Slack OAuth: the code was refused (${error})`);
  }
  if (typeof body.refresh_token !== 'string' || typeof body.expires_in !== 'number')
    throw new ValidationError(
      'The Slack app has token rotation turned off: turn it on (OAuth & Permissions › Token Rotation) and install again',
    );
  const parsed = SlackBotCredentialsSchema.safeParse({
    kind: 'slack_bot',
    teamId: team.id,
    ...(typeof team.name === 'string' ? { teamName: team.name.slice(0, 200) } : {}),
    botUserId: body.bot_user_id,
    ...(typeof body.app_id === 'string' ? { appId: body.app_id } : {}),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: now.getTime() + body.expires_in * 1000,
  });
  if (!parsed.success) throw new ValidationError('Slack OAuth: the answer lacks the team or the bot user');
  return {
    credentials: parsed.data,
    ...(typeof authed.id === 'string' ? { installerUserId: authed.id } : {}),
  };
}
