import * as z from 'zod';
import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { ChatDeps, ChatPart } from '../connectors/provider-module';
import { NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { AuditStore } from '../ports/stores';
import { partOf } from './chat-parts';

export const StartChatInstallRequest = z
  .object({
    provider: z.string().min(1).max(40).describe('A chat provider installed with OAuth'),
  })
  .strict()
  .meta({ id: 'StartChatInstallRequest' });

export const ChatInstallSchema = z
  .object({
    provider: z.string(),
    installUrl: z
      .url()
      .describe(
        'Open it in a browser, signed in to the platform, and finish the install in that same browser (the install is bound to it by a cookie): it carries a signed, single-use state that binds the install to this org and caller, valid for minutes',
      ),
  })
  .meta({ id: 'ChatInstall' });

/**
 * Starts installing a chat platform's app for the org: the URL the caller's browser opens
 * (`/{provider}/install?state=…`), its state signed and single-use, bound to the org and the caller.
 */
export function makeStartChatInstall(deps: {
  readonly parts: Readonly<Record<string, ChatPart>>;
  readonly chatDeps: (provider: string) => ChatDeps;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
}) {
  return async (
    orgId: string,
    provider: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<z.infer<typeof ChatInstallSchema>> => {
    const part = partOf(deps.parts, provider);
    if (!part?.installUrl) throw new NotFoundError(`No chat app installed with OAuth is called ${provider}`);
    // A personal key installs as its user; another key is itself the one who started it.
    const userId =
      principal.kind === 'org_member' && principal.ownerUserId ? principal.ownerUserId : principal.id;
    const installUrl = await part.installUrl(deps.chatDeps(provider), { orgId, userId });
    const at = deps.clock.now();
    await deps.audit.append(
      auditChange({
        action: 'chat.install_started',
        principal,
        orgId,
        targets: [{ type: 'org', id: orgId }],
        request: { ...request, channel: provider },
        at,
        after: { provider },
      }),
    );
    return { provider, installUrl };
  };
}
