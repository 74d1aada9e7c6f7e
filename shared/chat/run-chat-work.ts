import { auditBySystem } from '../audit/audit-record';
import type { BotContext } from '../bot/commands';
import { errorCard } from '../bot/commands';
import type { Connection } from '../connectors/connection';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { AuditStore, ConnectionStore, UserStore } from '../ports/stores';
import { chatLinkKey, mintChatLinkToken } from './chat-links';
import type {
  ChatCard,
  ChatClient,
  ChatConnection,
  ChatWork,
  ConversationDirectory,
  InstallationDirectory,
} from './model';
import type { ApprovalAnswers, IdentityLinkStore, OnceRunner } from './ports';

export interface RunChatWorkDeps {
  /** Each chat provider's client, by provider id (built on first use); null for none. */
  readonly clients: (provider: string) => ChatClient | null;
  /** Each chat provider's app settings, decrypted (their key signs the provider's chat links). */
  readonly appSettings: (provider: string) => Promise<Readonly<Record<string, string>>>;
  readonly identities: IdentityLinkStore;
  readonly users: Pick<UserStore, 'get' | 'findByEmail'>;
  readonly connections: Pick<ConnectionStore, 'get' | 'save' | 'findWebhookRoute'>;
  readonly installations: Pick<InstallationDirectory, 'unbind'>;
  /** The conversations the providers were added to: an unbound installation's are forgotten. */
  readonly conversations: Pick<ConversationDirectory, 'forgetInstallation'>;
  readonly bot: { run(ctx: BotContext, text: string): Promise<ChatCard> };
  /** Answers to approvals (`approval:` actions); null until the approvals feature is wired. */
  readonly approvals: ApprovalAnswers | null;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly once: OnceRunner;
  readonly clock: Clock;
  readonly publicUrl: string;
}

const notice = (title: string, text: string, tone: ChatCard['tone'] = 'neutral'): ChatCard => ({
  title,
  text,
  tone,
  fallback: `${title}: ${text}`.slice(0, 300),
});

/**
 * The `chat` queue's work, once per piece (`ChatWork.id`, per provider and connection): the
 * connection must be the org's and the provider's (the org comes from the installation's binding);
 * the person is matched to a hub user (an identity link, else the platform's verified email, then
 * linked), and an unmatched person is only offered a signed, single-use link; then the command runs
 * as that user, or the approval is answered, and the reply goes back where the platform asked.
 */
export function makeRunChatWork(deps: RunChatWorkDeps) {
  /** The hub user a platform user is, linked on first match by verified email; null when unknown. */
  const matchUser = async (
    work: ChatWork,
    client: ChatClient,
    connection: ChatConnection,
  ): Promise<string | null> => {
    const linked = await deps.identities.find(work.orgId, work.provider, work.actor.platformUserId);
    if (linked) return linked.userId;
    const known = work.actor.verifiedEmail
      ? work.actor
      : await client.lookupUser(connection, work.actor.platformUserId);
    const email = known?.verifiedEmail?.toLowerCase();
    if (!email) return null;
    const user = await deps.users.findByEmail(work.orgId, email);
    if (user?.status !== 'active') return null;
    const at = deps.clock.now();
    await deps.identities.put(
      {
        orgId: work.orgId,
        provider: work.provider,
        platformUserId: work.actor.platformUserId,
        userId: user.id,
        connectionId: work.connectionId,
        via: 'email',
        linkedAt: at.toISOString(),
      },
      auditBySystem({
        action: 'chat.identity_linked',
        actor: 'hub-chat',
        orgId: work.orgId,
        targets: [
          { type: 'user', id: user.id },
          { type: 'connection', id: work.connectionId },
        ],
        requestId: work.id,
        at,
        after: { provider: work.provider, platformUserId: work.actor.platformUserId, via: 'email' },
      }),
    );
    return user.id;
  };

  const linkCard = async (work: ChatWork): Promise<ChatCard> => {
    const key = chatLinkKey(await deps.appSettings(work.provider));
    const token = mintChatLinkToken(
      key,
      {
        orgId: work.orgId,
        connectionId: work.connectionId,
        provider: work.provider,
        platformUserId: work.actor.platformUserId,
        ...(work.actor.name ? { platformUserName: work.actor.name.slice(0, 100) } : {}),
      },
      deps.clock.now(),
    );
    const url = `${deps.publicUrl.replace(/\/$/, '')}/chat-links/${token}`;
    return {
      title: 'Link your account to the hub first',
      text: 'The hub does not know you yet. Open the link, sign in to the hub and confirm; it works once, for 15 minutes.',
      actions: [{ kind: 'link', label: 'Link my account', url }],
      tone: 'warning',
      fallback: `Link your account to the hub first: ${url}`.slice(0, 300),
    };
  };

  const uninstalled = async (work: ChatWork, current: Connection) => {
    const at = deps.clock.now();
    // Unbound, and every reference of it forgotten (the conversations and the installation's own
    // record), so nothing is ever posted to it again proactively.
    let forgotten = 0;
    if (work.installationId) {
      await deps.installations.unbind(work.provider, work.installationId);
      forgotten = await deps.conversations.forgetInstallation(work.orgId, work.provider, work.installationId);
    }
    const route = await deps.connections.findWebhookRoute(current.id);
    if (!route) return;
    const reason = 'The app was uninstalled from the workspace: install it again to reconnect';
    const next: Connection = {
      ...current,
      status: current.status === 'disabled' ? 'disabled' : 'needs_attention',
      credentials: null,
      lastError: { message: reason, at: at.toISOString() },
      updatedAt: at.toISOString(),
    };
    await deps.connections.save(
      next,
      current,
      { ...route, status: next.status },
      {
        ...auditBySystem({
          action: 'chat.uninstalled',
          actor: 'hub-chat',
          orgId: work.orgId,
          targets: [{ type: 'connection', id: current.id }],
          requestId: work.id,
          at,
          before: { status: current.status },
          after: {
            status: next.status,
            installationId: work.installationId ?? null,
            conversationsForgotten: forgotten,
          },
        }),
        channel: work.provider,
      },
      { clearCredentials: true },
    );
  };

  /** The app (re)installed: a connection an uninstall left needing attention is active again. */
  const installed = async (work: ChatWork, current: Connection) => {
    const at = deps.clock.now();
    const record = {
      ...auditBySystem({
        action: 'chat.installed',
        actor: 'hub-chat',
        orgId: work.orgId,
        targets: [{ type: 'connection', id: current.id }],
        requestId: work.id,
        at,
        before: { status: current.status },
        after: {
          status: current.status === 'needs_attention' ? 'active' : current.status,
          installationId: work.installationId ?? null,
        },
      }),
      channel: work.provider,
    };
    const route =
      current.status === 'needs_attention' ? await deps.connections.findWebhookRoute(current.id) : null;
    if (!route) return void (await deps.audit.append(record));
    const next: Connection = { ...current, status: 'active', lastError: null, updatedAt: at.toISOString() };
    await deps.connections.save(next, current, { ...route, status: 'active' }, record);
  };

  const handle = async (work: ChatWork): Promise<void> => {
    const client = deps.clients(work.provider);
    const current = await deps.connections.get(work.orgId, work.connectionId);
    // Work naming a connection of another org or provider is nobody's: dropped, never run.
    if (!client || !current || current.provider !== work.provider) {
      logger.warn('Chat work for no connection of its provider in its org: dropped', {
        provider: work.provider,
        tenantId: work.orgId,
      });
      return;
    }
    const connection: ChatConnection = {
      orgId: work.orgId,
      connectionId: work.connectionId,
      ...(work.installationId ? { installationId: work.installationId } : {}),
    };
    const { request } = work;
    if (request.kind === 'uninstalled') return uninstalled(work, current);
    if (request.kind === 'installed') return installed(work, current);
    if (current.status !== 'active') return;
    const reply = async (card: ChatCard) => {
      const outcome = await client.respond(connection, work.reply, card);
      if (!outcome.ok)
        logger.warn('Chat reply not delivered', { provider: work.provider, error: outcome.error });
    };
    const userId = await matchUser(work, client, connection);
    if (!userId) return reply(await linkCard(work));
    if (request.kind === 'command') {
      return reply(
        await deps.bot.run(
          {
            orgId: work.orgId,
            userId,
            provider: work.provider,
            connectionId: work.connectionId,
            conversation: work.conversation,
            requestId: work.id,
          },
          request.text,
        ),
      );
    }
    const [family, approvalId, ...option] = request.actionId.split(':');
    if (family === 'approval' && approvalId && option.length > 0 && deps.approvals) {
      const result = await deps.approvals.answer({
        orgId: work.orgId,
        approvalId,
        option: option.join(':'),
        userId,
        channel: work.provider,
      });
      return reply(
        result.card ??
          notice(
            'Approval',
            {
              decided: 'Your answer was recorded.',
              already_decided: 'Someone answered first.',
              expired: 'The approval has expired.',
              not_allowed: 'You may not answer this approval.',
              not_found: 'No such approval.',
            }[result.status],
            result.status === 'decided' ? 'good' : 'warning',
          ),
      );
    }
    if (family === 'bot') {
      return reply(
        await deps.bot.run(
          {
            orgId: work.orgId,
            userId,
            provider: work.provider,
            connectionId: work.connectionId,
            conversation: work.conversation,
            requestId: work.id,
          },
          request.actionId.slice('bot:'.length).replaceAll(':', ' '),
        ),
      );
    }
    return reply(errorCard('The hub does not know this button.', 'warning'));
  };

  return async (work: ChatWork): Promise<'done' | 'duplicate'> =>
    deps.once.once(`chat#${work.provider}#${work.connectionId}#${work.id}`, () => handle(work));
}
