import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { CreateBindCodeRequest, makeCreateBindCode } from '../../shared/chat/bind-codes';
import { makeStartChatInstall, StartChatInstallRequest } from '../../shared/chat/chat-install';
import { chatLinkPage, LINK_PAGE_HEADERS, unknownChatLinkPage } from '../../shared/chat/chat-link-page';
import {
  chatLinkKey,
  makeConfirmChatLink,
  makeShowChatLink,
  makeUnlinkChatAccount,
} from '../../shared/chat/chat-links';
import { ConfirmChatLinkRequest } from '../../shared/chat/operations';
import { NotFoundError } from '../../shared/errors';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { PROVIDERS } from '../../shared/providers';

/**
 * The links the chat bot gives a person it does not know: GET shows what the link would link and
 * changes nothing (link scanners open links); POST, by the signed-in hub user, links them.
 */
export const makeHandler = (deps: {
  show: ReturnType<typeof makeShowChatLink>;
  confirm: ReturnType<typeof makeConfirmChatLink>;
  unlink: ReturnType<typeof makeUnlinkChatAccount>;
  orgName: (orgId: string) => Promise<string | null>;
  providerName: (provider: string) => string;
  startInstall: ReturnType<typeof makeStartChatInstall>;
  createBindCode: ReturnType<typeof makeCreateBindCode>;
}) =>
  byOperation({
    startChatInstall: apiHandler({
      operation: 'startChatInstall',
      body: StartChatInstallRequest,
      handle: async ({ path, body, principal, request }) =>
        json(201, await deps.startInstall(path.orgId, body.provider, principal, request)),
    }),
    createChatBindCode: apiHandler({
      operation: 'createChatBindCode',
      body: CreateBindCodeRequest,
      // The code is in this answer once: never cached on its way.
      handle: async ({ path, body, principal, request }) =>
        json(201, await deps.createBindCode(path.orgId, path.connectionId, body, principal, request), {
          'cache-control': 'no-store',
        }),
    }),
    showChatLink: apiHandler({
      operation: 'showChatLink',
      handle: async ({ path }) => {
        const claims = await deps.show(path.token);
        const orgName = claims ? await deps.orgName(claims.orgId) : null;
        if (!claims || !orgName)
          return { statusCode: 404, headers: { ...LINK_PAGE_HEADERS }, body: unknownChatLinkPage() };
        return {
          statusCode: 200,
          headers: { ...LINK_PAGE_HEADERS },
          body: chatLinkPage(claims, deps.providerName(claims.provider), orgName, path.token),
        };
      },
    }),
    unlinkChatAccount: apiHandler({
      operation: 'unlinkChatAccount',
      handle: async ({ path, principal, request }) => {
        await deps.unlink(path.orgId, path.provider, path.platformUserId, principal, request);
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
    confirmChatLink: apiHandler({
      operation: 'confirmChatLink',
      body: ConfirmChatLinkRequest,
      handle: async ({ path, body, principal, request }) =>
        json(200, await deps.confirm(path.orgId, body.token, principal, request)),
    }),
  });

const settings = adapters.chatAppSettings();
const linkDeps = {
  // A provider whose app is not set up signs no links: its tokens are unknown here.
  keyOf: (provider: string) =>
    settings(provider).then(chatLinkKey, (error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    }),
  used: adapters.usedChatTokens(),
  identities: adapters.identityLinkStore(),
  clock: hubClock(),
};

export const handler = makeHandler({
  show: makeShowChatLink(linkDeps),
  confirm: makeConfirmChatLink(linkDeps),
  unlink: makeUnlinkChatAccount(linkDeps),
  orgName: async (orgId) => (await adapters.tenantDirectory().get(orgId))?.name ?? null,
  providerName: (provider) => PROVIDERS.module(provider)?.displayName ?? provider,
  startInstall: makeStartChatInstall({
    parts: adapters.chatParts(),
    chatDeps: adapters.chatDeps,
    audit: adapters.auditStore(),
    clock: hubClock(),
  }),
  createBindCode: makeCreateBindCode({
    parts: adapters.chatParts(),
    connections: adapters.connectionStore(),
    codes: adapters.chatBindCodes(),
    clock: hubClock(),
  }),
});
