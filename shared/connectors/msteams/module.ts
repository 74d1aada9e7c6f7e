import { UnauthenticatedError, ValidationError } from '../../errors';
import type { ProviderModule } from '../provider-module';
import { makeTeamsApp } from './app';
import { makeTeamsClient, teamsBotRuntime } from './client';
import { teamsCredentialKinds } from './credentials';
import { TEAMS_LOCAL_DEFAULTS, TEAMS_SERVICE_ORIGINS, TeamsAppSettingsSchema } from './settings';

// One bot token cache and one signing-key cache per execution environment, whoever builds the parts.
let shared: { deps: unknown; runtime: ReturnType<typeof teamsBotRuntime> } | null = null;
const runtimeFor = (deps: Parameters<typeof teamsBotRuntime>[0]) => {
  if (shared?.deps !== deps) shared = { deps, runtime: teamsBotRuntime(deps) };
  return shared.runtime;
};

/**
 * Microsoft Teams: the deployment's bot (an Azure Bot resource) in the orgs' tenants — proactive
 * Adaptive Cards updated in place, `Action.Execute` card actions, the bot's commands and message
 * extensions — or a Teams Workflows webhook for channel posts only. Activities come to the one
 * messaging endpoint `POST /msteams/events`, never to the per-connection webhook route.
 */
export const teamsProvider: ProviderModule<'msteams', typeof teamsCredentialKinds> = {
  id: 'msteams',
  displayName: 'Microsoft Teams',
  api: {
    defaultBaseUrl: TEAMS_SERVICE_ORIGINS[0] ?? null,
    customBaseUrl: true,
    baseUrlHint:
      'https://smba.trafficmanager.net (the Bot Connector; GCC and sovereign clouds have their own). Service URLs come from the activities',
  },
  credentials: teamsCredentialKinds,
  // Teams signs activities with the Bot Framework's keys, not a per-connection secret: the
  // per-connection webhook route has nothing to accept (ProviderModule requires the part, so it
  // refuses everything and says where Teams posts instead).
  webhook: {
    verify: async () => {
      throw new UnauthenticatedError('Microsoft Teams posts to /msteams/events, not to a connection webhook');
    },
    deliveryId: () => {
      throw new ValidationError('Microsoft Teams has no connection webhook');
    },
    normalise: () => null,
    docs: {
      summary: 'Not used by Microsoft Teams (its bot posts to /msteams/events)',
      setup:
        "Nothing to set up: the Teams bot's activities go to the messaging endpoint `POST /msteams/events`, verified with the Bot Framework's signing keys. Office 365 connectors (the retired incoming webhooks) are not supported; use a Teams Workflows webhook connection for channel posts.",
      headers: [],
    },
  },
  chat: {
    // `install` and `oauth/callback`: a Microsoft admin's Entra sign-in confirming a pending binding.
    inbound: ['install', 'oauth/callback', 'events'],
    client: (deps) => makeTeamsClient(deps, runtimeFor(deps)),
    app: (deps) => makeTeamsApp(deps, runtimeFor(deps)),
    appSettings: TeamsAppSettingsSchema,
    localDefaults: TEAMS_LOCAL_DEFAULTS,
    bindConfirmation:
      'The bot then answers with a link: a Global Administrator or Teams Administrator of that tenant opens it and signs in with Microsoft to confirm (within 30 minutes); until then the tenant is not connected.',
    undeliverableDmFix:
      "Ask them to install the hub app personally in Microsoft Teams (Apps → the hub's app → Add, or have a Teams admin install it for them in the Teams admin center), and make sure they are a member of the connected tenant; the next notification then goes through.",
    docs: {
      install:
        "a Microsoft admin of the tenant is sent to their tenant's Entra sign-in to confirm a pending binding.",
      callback:
        "Microsoft Entra's sign-in confirming a binding; it is confirmed only by an ID token whose `tid` is the tenant and whose `wids` hold an admin role (403 otherwise, audited).",
      bindCode:
        '`connect <code>` sent to the bot in the tenant only claims the tenant (the tenant id the connection names): the binding stays pending (audited `chat.installation_pending`) until a Microsoft admin of that tenant confirms through the link the bot answers with — an Entra sign-in (authorization code + PKCE, bound to the browser that opened the link, single use, 30 minutes) whose ID token has the tenant as `tid` and in `wids` Global Administrator (62e90394-69f5-4237-9190-012177145e10) or Teams Administrator (69091246-20e8-4a56-aa4d-066075b2a7a8), as `adminRoleIds` of the Teams app settings says; then `chat.installation_bound`, otherwise `chat.installation_refused` with its reason.',
      bindCodeConnection: 'a Microsoft Teams connection of kind `teams_bot` with its tenant id',
    },
    // A tenant is bound by `connect <code>`: a code an org admin made for a bot connection naming it.
    bindCodeTarget: (connection) => {
      const summary = connection.credentials as { kind?: string; tenantId?: string } | null;
      return summary?.kind === 'teams_bot' && summary.tenantId ? summary.tenantId.toLowerCase() : null;
    },
  },
  // The conversation directory and the installation binding are written by the chat functions' own access.
  access: [],
};
