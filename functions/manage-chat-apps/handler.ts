import * as z from 'zod';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { makeManageChatApps } from '../../shared/chat/chat-apps';
import { partOf } from '../../shared/chat/chat-parts';
import { ForbiddenError } from '../../shared/errors';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import type { Principal } from '../../shared/identity/principal';

// The provider's own schema validates the settings (strict, with its secret fields): any object here.
const AnySettings = z.looseObject({});

const requirePlatformAdmin = (principal: Principal) => {
  if (principal.kind !== 'platform_admin')
    throw new ForbiddenError("Only a platform admin manages the deployment's chat apps");
};

/** The deployment's chat app settings (platform admins only). */
export const makeHandler = (apps: ReturnType<typeof makeManageChatApps>) =>
  byOperation({
    getChatApp: apiHandler({
      operation: 'getChatApp',
      handle: async ({ path, principal }) => {
        requirePlatformAdmin(principal);
        return json(200, await apps.get(path.provider), { 'cache-control': 'no-store' });
      },
    }),
    setChatApp: apiHandler({
      operation: 'setChatApp',
      body: AnySettings,
      handle: async ({ path, body, principal, request }) => {
        requirePlatformAdmin(principal);
        return json(200, await apps.put(path.provider, body, principal, request), {
          'cache-control': 'no-store',
        });
      },
    }),
  });

const parts = adapters.chatParts();

export const handler = makeHandler(
  makeManageChatApps({
    parts: (provider) => partOf(parts, provider),
    store: adapters.chatAppStore(),
    cipher: adapters.secretCipher(),
    clock: hubClock(),
  }),
);
