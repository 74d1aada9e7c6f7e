import { auditBySystem } from '../audit/audit-record';
import type { BotContext } from '../bot/commands';
import { errorCard } from '../bot/commands';
import type { Connection } from '../connectors/connection';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { AuditStore, ConnectionStore } from '../ports/stores';
import type { makeAuthorizeMember } from './authorize-member';
import type {
  ChatCard,
  ChatClient,
  ChatConnection,
  ChatWork,
  ConversationDirectory,
  InstallationDirectory,
} from './model';
import type { ApprovalAnswers, OnceRunner } from './ports';

export interface RunChatWorkDeps {
  /** Each chat provider's client, by provider id (built on first use); null for none. */
  readonly clients: (provider: string) => ChatClient | null;
  /** The one gate of a person's work (`makeAuthorizeMember`): a member to act as, or the only reply. */
  readonly authorizeMember: ReturnType<typeof makeAuthorizeMember>;
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
 * the person passes the one member gate (`authorizeMember`: matched to an active hub user, or only
 * offered a signed, single-use link); then the command runs as that user, or the approval is
 * answered, and the reply goes back where the platform asked.
 */
export function makeRunChatWork(deps: RunChatWorkDeps) {
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
    // Every command and button passes the one gate before anything is read for it.
    const gate = await deps.authorizeMember(work, client, connection, current);
    if (gate.kind === 'refused') return gate.card ? reply(gate.card) : undefined;
    const { member } = gate;
    const ctx: BotContext = {
      orgId: work.orgId,
      member,
      provider: work.provider,
      connectionId: work.connectionId,
      conversation: work.conversation,
      requestId: work.id,
    };
    if (request.kind === 'command') return reply(await deps.bot.run(ctx, request.text));
    const [family, approvalId, ...option] = request.actionId.split(':');
    if (family === 'approval' && approvalId && option.length > 0 && deps.approvals) {
      const result = await deps.approvals.answer({
        orgId: work.orgId,
        approvalId,
        option: option.join(':'),
        userId: member.userId,
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
    if (family === 'bot')
      return reply(await deps.bot.run(ctx, request.actionId.slice('bot:'.length).replaceAll(':', ' ')));
    return reply(errorCard('The hub does not know this button.', 'warning'));
  };

  return async (work: ChatWork): Promise<'done' | 'duplicate'> =>
    deps.once.once(`chat#${work.provider}#${work.connectionId}#${work.id}`, () => handle(work));
}
