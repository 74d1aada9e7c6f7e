import * as z from 'zod';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import type { OperationDoc } from '../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../api/operation-doc';
import { OrgConnectionParams, OrgIdParam } from '../api/schemas';
import type { ChatDocs, ProviderModule } from '../connectors/provider-module';
import { BindCodeSchema, CreateBindCodeRequest } from './bind-codes';
import { ChatInstallSchema, StartChatInstallRequest } from './chat-install';

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

export const ChatAppViewSchema = z
  .object({
    provider: z.string(),
    settings: z.record(z.string(), z.string()).describe('The non-secret settings'),
    secretsSet: z
      .array(z.string())
      .describe('The secret settings, which are stored encrypted and never returned'),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'ChatApp' });

export const IdentityLinkSchema = z
  .object({
    orgId: z.string(),
    provider: z.string(),
    platformUserId: z.string(),
    userId: z.string(),
    connectionId: z.string(),
    via: z.enum(['email', 'link']),
    linkedAt: z.iso.datetime(),
  })
  .meta({ id: 'ChatIdentityLink' });

export const ConfirmChatLinkRequest = z
  .object({
    token: z
      .string()
      .min(1)
      .max(1000)
      .describe('The token of the link the bot sent (the last part of its URL)'),
  })
  .strict()
  .meta({ id: 'ConfirmChatLinkRequest' });

/** The chat operations' documentation; the app settings' bodies and the providers come from the modules. */
export function chatOperations(modules: readonly Pick<ProviderModule, 'id' | 'displayName' | 'chat'>[]) {
  const chat = modules.filter((m) => m.chat);
  const ids = chat.map((m) => m.id);
  const provider = z.object({
    provider: (ids.length > 0 ? z.enum(ids as [string, ...string[]]) : z.string()).describe(
      ids.length > 0
        ? `A chat provider: ${chat.map((m) => `\`${m.id}\` (${m.displayName})`).join(', ')}`
        : 'A chat provider (none is installed)',
    ),
  });
  const settings = chat.flatMap((m) => (m.chat?.appSettings ? [m.chat.appSettings] : []));
  // What each platform adds to a route's description: `<display name>: <its sentence>`.
  const perPlatform = (part: keyof ChatDocs, none = '') => {
    const said = chat.flatMap((m) => {
      const text = m.chat?.docs?.[part];
      return text ? [`${m.displayName}: ${text}`] : [];
    });
    return said.length > 0 ? said.join(' ') : none;
  };
  const withPlatforms = (common: string, part: keyof ChatDocs) =>
    [common, perPlatform(part)].filter((text) => text.length > 0).join(' ');
  const settingsBody =
    settings.length === 0
      ? z.looseObject({})
      : settings.length === 1
        ? (settings[0] as z.ZodObject)
        : z.union(settings as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
  const appEndpoint = (what: string): OperationDoc => ({
    security: [],
    description: `${what} One route per platform, for every workspace at once; a provider without a chat app, or a route its app does not serve, is 404 with nothing read. The provider's app verifies each request (its platform's signature or token) before reading it, and answers in the platform's own format.`,
    requestParams: { path: provider },
    responses: {
      '200': { description: "The platform's expected answer (a handshake, an acknowledgement)" },
      '302': { description: 'A redirect of the install flow' },
      '401': { description: "The platform's signature or token is missing or invalid" },
      '404': problem('No such chat provider, or it does not serve this route'),
      '413': problem('The body is larger than the chat endpoint takes (256 KiB)'),
    } satisfies ZodOpenApiResponsesObject,
  });
  return {
    installChatApp: appEndpoint(
      withPlatforms(
        "Sends the person to the platform to install the hub app for their org, or to confirm a pending binding, and sets the flow's cookie in their browser (HttpOnly, SameSite=Lax, for the callback path only, as long as the state lives).",
        'install',
      ),
    ),
    completeChatInstall: {
      ...appEndpoint(
        withPlatforms(
          "The platform's OAuth redirect: only from the browser that opened the link (its cookie; every answer clears it); the signed, single-use state names the org; the installation is bound to that org alone.",
          'callback',
        ),
      ),
      responses: {
        ...appEndpoint('').responses,
        '403': {
          description:
            'An HTML page: the install was started in another browser; nothing was used up or stored',
        },
      },
    },
    receiveChatEvent: {
      ...appEndpoint(
        "The platform's events, commands and interactions: acknowledged at once; the work they carry is queued first, and answered through the platform.",
      ),
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: z.looseObject({}) },
          'application/x-www-form-urlencoded': { schema: z.looseObject({}) },
        },
      },
    },
    getChatApp: {
      requestParams: { path: provider },
      responses: {
        '200': ok('The settings, without their secret parts', ChatAppViewSchema),
        ...authErrors,
        '404': problem('No such chat provider, or its settings are not set'),
      },
    },
    setChatApp: {
      requestParams: { path: provider },
      requestBody: jsonBody(settingsBody),
      responses: {
        '200': ok('The settings as stored, without their secret parts', ChatAppViewSchema),
        '400': problem('Not settings this provider takes'),
        ...authErrors,
        '404': problem('No such chat provider'),
      },
    },
    showChatLink: {
      security: [],
      requestParams: { path: z.object({ token: z.string() }) },
      responses: {
        '200': html('What the link would link, and how to confirm it (nothing changes)'),
        '404': html('The link is unknown, forged or expired'),
      },
    },
    startChatInstall: {
      requestParams: { path: OrgIdParam },
      requestBody: jsonBody(StartChatInstallRequest),
      responses: {
        '201': ok('Where to send the browser to install the app', ChatInstallSchema),
        '400': problem('The body is not valid'),
        ...authErrors,
        '404': problem('No chat provider of that name is installed with OAuth'),
      },
    },
    unlinkChatAccount: {
      requestParams: {
        path: OrgIdParam.extend({
          provider: z.string().describe('The chat provider'),
          platformUserId: z
            .string()
            .describe("The chat platform's user id (a 409 of a link names the caller's)"),
        }),
      },
      responses: {
        '204': { description: 'Unlinked' },
        ...authErrors,
        '403': problem('Not a hub user signed in with their own user token (an API key cannot unlink)'),
        '404': problem('The caller has no link to that chat account'),
      },
    },
    createChatBindCode: {
      description: [
        'A platform bound by code rather than OAuth (someone in the installation sends the bot `connect <code>`) is bound to the org only with a code made here by an org admin: random (160 bits), shown once and stored only as its hash, single use, and valid for minutes (15 unless `expiresInMinutes` says). It binds only the installation the connection names.',
        perPlatform('bindCode'),
        'Audited as `chat.bind_code_created`, without the code.',
      ]
        .filter((text) => text.length > 0)
        .join(' '),
      requestParams: { path: OrgConnectionParams },
      requestBody: jsonBody(CreateBindCodeRequest),
      responses: {
        '201': ok('The code, shown this once, and how to use it', BindCodeSchema),
        '400': problem('The body is not valid'),
        ...authErrors,
        '404': problem('No such connection in this organisation'),
        '409': problem(
          `The connection is not one a bind code binds (${perPlatform('bindCodeConnection', 'no chat provider is bound by code')}), or it is not active`,
        ),
      },
    },
    confirmChatLink: {
      requestParams: { path: OrgIdParam },
      requestBody: jsonBody(ConfirmChatLinkRequest),
      responses: {
        '200': ok('The chat account is linked to the caller', IdentityLinkSchema),
        '400': problem('The body is not valid'),
        ...authErrors,
        '403': problem(
          'Not a hub user signed in with their own user token (an API key, even a personal one, cannot link a chat account), or the link is for another hub user',
        ),
        '404': problem('The link is unknown, forged, expired, or for another organisation'),
        '409': problem(
          'The link was used already, or links are 1:1 and one side is linked already: the chat account to another hub user (`reason`: `platform_user_taken`), or the caller to another chat account of the workspace (`user_taken`); that link must be removed first',
        ),
      },
    },
  } satisfies Record<string, OperationDoc>;
}
