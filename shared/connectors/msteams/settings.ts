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

/**
 * The Microsoft Entra issuer a tenant's admin signs in with to confirm a binding (v2.0 endpoint of
 * that very tenant: `{tenantId}` is replaced by the tenant being bound, so the ID token's issuer
 * is that tenant's own).
 */
export const ENTRA_AUTHORITY = 'https://login.microsoftonline.com/{tenantId}/v2.0';
/** Entra role template ids (the `wids` claim) of Global Administrator and Teams Administrator. */
export const GLOBAL_ADMINISTRATOR_ROLE = '62e90394-69f5-4237-9190-012177145e10';
export const TEAMS_ADMINISTRATOR_ROLE = '69091246-20e8-4a56-aa4d-066075b2a7a8';
export const TENANT_ADMIN_ROLES = [GLOBAL_ADMINISTRATOR_ROLE, TEAMS_ADMINISTRATOR_ROLE];
const ROLE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
  entraAuthority: z
    .string()
    .max(500)
    .regex(/^https?:\/\/[^\s]+$/)
    .default(ENTRA_AUTHORITY)
    .describe(
      "The OpenID issuer a Microsoft admin of the tenant signs in with to confirm a binding (authorization code + PKCE, with the bot's app id and client secret; the app registration must emit directory roles, `groupMembershipClaims` `DirectoryRole` or `All`, for the `wids` claim); `{tenantId}` is replaced by the tenant being bound. A local OpenID Provider stands in for it in tests",
    ),
  adminRoleIds: z
    .string()
    .max(2000)
    .default(TENANT_ADMIN_ROLES.join(','))
    .describe(
      'Comma-separated Entra role template ids (`wids`) that may confirm a binding: Global Administrator and Teams Administrator unless given',
    ),
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
  /** The Entra issuer, `{tenantId}` still in it (see `entraIssuer`). */
  readonly entraAuthority: string;
  /** The role template ids a binding's confirmer must hold one of. */
  readonly adminRoleIds: ReadonlySet<string>;
}

/** The Entra issuer of one tenant: the authority with the tenant in it. */
export const entraIssuer = (bot: TeamsBot, tenantId: string) =>
  bot.entraAuthority.replaceAll('{tenantId}', encodeURIComponent(tenantId));

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
  const roles = s.adminRoleIds
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
  const badRole = roles.find((r) => !ROLE_ID.test(r));
  if (badRole !== undefined || roles.length === 0)
    throw new ValidationError(
      'The Teams app settings are not usable: adminRoleIds must list role template ids',
    );
  return {
    appId: s.appId,
    clientSecret: s.clientSecret,
    openIdMetadataUrl: s.openIdMetadataUrl,
    tokenUrl:
      s.tokenUrl ??
      `https://login.microsoftonline.com/${encodeURIComponent(s.tenantId ?? 'botframework.com')}/oauth2/v2.0/token`,
    serviceOrigins: new Set(origins),
    entraAuthority: s.entraAuthority.replace(/\/+$/, ''),
    adminRoleIds: new Set(roles),
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
