import * as z from 'zod';
import { ValidationError } from '../../errors';
import { secret } from '../provider-module';

/** Where Slack is, unless the deployment's app settings say otherwise (the local fake). */
export const SLACK_API = 'https://slack.com/api';
export const SLACK_AUTHORIZE_URL = 'https://slack.com/oauth/v2/authorize';
export const SLACK_HOOKS_URL = 'https://hooks.slack.com/';

/** The bot scopes the hub's app asks for: post and update messages, DMs, slash commands, users by verified email. */
export const SLACK_BOT_SCOPES = [
  'chat:write',
  'commands',
  'im:write',
  'users:read',
  'users:read.email',
  'channels:read',
] as const;

/** The deployment's Slack app (one per hub): from its secret, never from the environment. */
export const SlackAppSettingsSchema = z
  .object({
    clientId: z
      .string()
      .min(1)
      .max(200)
      .describe("The app's Client ID (Basic Information › App Credentials)"),
    clientSecret: secret(z.string().min(1).max(500)),
    signingSecret: secret(z.string().min(1).max(500)).describe('Verifies every request Slack sends'),
    authorizeUrl: z.url().default(SLACK_AUTHORIZE_URL).describe("Slack's OAuth v2 consent page"),
    apiUrl: z.url().default(SLACK_API).describe("Slack's Web API"),
    hooksUrl: z
      .url()
      .default(SLACK_HOOKS_URL)
      .describe('Where `response_url`s point: an answer goes to no other place'),
    scopes: z.string().max(1000).default(SLACK_BOT_SCOPES.join(',')),
  })
  .strict();

export type SlackAppSettings = z.infer<typeof SlackAppSettingsSchema>;

/** The app settings that match the loopback fake (`test/fakes/slack/`) on its default port. */
export const SLACK_FAKE_PORT = 3104;
export const slackLocalDefaults = (
  origin = `http://127.0.0.1:${SLACK_FAKE_PORT}`,
): Record<string, string> => ({
  clientId: 'fake-slack-client-id',
  clientSecret: 'fake-slack-client-secret',
  signingSecret: 'fake-slack-signing-secret',
  authorizeUrl: `${origin}/oauth/v2/authorize`,
  apiUrl: `${origin}/api`,
  hooksUrl: `${origin}/hooks/`,
});

/** The app settings from the deployment's secret; ValidationError (naming no value) when malformed. */
export async function slackApp(
  appSecret: () => Promise<Readonly<Record<string, string>>>,
): Promise<SlackAppSettings> {
  const parsed = SlackAppSettingsSchema.safeParse(await appSecret());
  if (!parsed.success)
    throw new ValidationError(
      `The Slack app settings are incomplete: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  return parsed.data;
}
