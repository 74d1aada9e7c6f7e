import * as z from 'zod';
import { ValidationError } from '../../errors';
import { secret } from '../provider-module';

/** Where the Bot Framework publishes the signing keys of the tokens on incoming activities. */
export const BOT_FRAMEWORK_OPENID = 'https://login.botframework.com/v1/.well-known/openidconfiguration';
/** The issuer of every token the Bot Framework channel signs. */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
/** The scope of the bot's own token to the Bot Connector. */
export const BOT_CONNECTOR_SCOPE = 'https://api.botframework.com/.default';
/** Teams' service URLs: commercial (`/amer/`, `/emea/`…), GCC, GCC High and DoD. */
export const TEAMS_SERVICE_ORIGINS = [
  'https://smba.trafficmanager.net',
  'https://smba.infra.gcc.teams.microsoft.com',
  'https://smba.infra.gov.teams.microsoft.us',
  'https://smba.infra.dod.teams.microsoft.us',
];

/** The deployment's Teams bot (its Azure Bot resource), from the provider's app secret. */
export const TeamsAppSettingsSchema = z.object({
  appId: z.string().min(1).max(100).describe("The bot's Microsoft App ID (its Azure Bot resource)"),
  clientSecret: secret(z.string().min(1).max(1000)).describe("The app registration's client secret"),
  tenantId: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe("A single-tenant bot's home tenant (the token endpoint's); multi-tenant bots leave it out"),
  openIdMetadataUrl: z
    .url({ protocol: /^https?$/ })
    .default(BOT_FRAMEWORK_OPENID)
    .describe("The Bot Framework's OpenID metadata (a local issuer stands in for it in tests)"),
  tokenUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "The AAD token endpoint of the bot's client credentials; `https://login.microsoftonline.com/<tenantId or botframework.com>/oauth2/v2.0/token` unless given",
    ),
  serviceUrlOrigins: z
    .string()
    .max(2000)
    .default(TEAMS_SERVICE_ORIGINS.join(','))
    .describe("Comma-separated origins the bot's token may be sent to (Teams' service URLs)"),
});
export type TeamsAppSettings = z.infer<typeof TeamsAppSettingsSchema>;

/** The settings the fakes stand in for (`test/fakes/msteams`, port 3106 under `npm run fakes`). */
export const TEAMS_LOCAL_DEFAULTS: Record<string, string> = {
  appId: 'fake-teams-app-id',
  clientSecret: 'fake-teams-client-secret',
  openIdMetadataUrl: 'http://127.0.0.1:3106/v1/.well-known/openidconfiguration',
  tokenUrl: 'http://127.0.0.1:3106/botframework.com/oauth2/v2.0/token',
  serviceUrlOrigins: 'http://127.0.0.1:3106',
};

/** The bot's settings, resolved: ValidationError naming the field when the app secret lacks one. */
export interface TeamsBot {
  readonly appId: string;
  readonly clientSecret: string;
  readonly openIdMetadataUrl: string;
  readonly tokenUrl: string;
  readonly serviceOrigins: ReadonlySet<string>;
}

export function teamsBot(values: Readonly<Record<string, string>>): TeamsBot {
  const parsed = TeamsAppSettingsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      `The Teams app settings are not usable: ${issue?.path.join('.')} ${issue?.message}`,
    );
  }
  const s = parsed.data;
  const origins = s.serviceUrlOrigins
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => new URL(o).origin);
  return {
    appId: s.appId,
    clientSecret: s.clientSecret,
    openIdMetadataUrl: s.openIdMetadataUrl,
    tokenUrl:
      s.tokenUrl ??
      `https://login.microsoftonline.com/${encodeURIComponent(s.tenantId ?? 'botframework.com')}/oauth2/v2.0/token`,
    serviceOrigins: new Set(origins),
  };
}

/** True when the bot's token may go to `serviceUrl`: its origin is on the allow-list. */
export function serviceUrlAllowed(bot: TeamsBot, serviceUrl: string): boolean {
  try {
    return bot.serviceOrigins.has(new URL(serviceUrl).origin);
  } catch {
    return false;
  }
}
