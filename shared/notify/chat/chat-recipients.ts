import type { Connection } from '../../connectors/connection';
import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { ConnectionStore, UserStore } from '../../ports/stores';
import { TtlCache } from '../../ttl-cache';
import type { NotificationPreferenceStore } from '../email/ports';
import { chatDecision, DEFAULT_PREFERENCES } from '../email/preferences';
import type { ChatRecipients, DeliveryTarget, Destination } from '../model';
import type { ChatProviders } from './ports';

export type ChatTarget = Extract<DeliveryTarget, { channel: 'chat' }>;
type ChatDestination = Extract<Destination, { kind: 'chat' }>;

/** A conversation naming a hub user's DM: `user:<hub user id>`. */
export const USER_CONVERSATION = /^user:(usr_[0-9A-HJKMNP-TV-Z]{26})$/;

/** The hub user a conversation names (`user:<id>`), or null for a channel or chat id. */
export const userOfConversation = (conversation: string): string | null =>
  USER_CONVERSATION.exec(conversation)?.[1] ?? null;

/** How long a connection read is reused by the matcher: a disabled connection stops within this. */
export const CONNECTION_CACHE_MS = 5_000;

export interface ChatRecipientsDeps {
  readonly connections: Pick<ConnectionStore, 'get'>;
  readonly providers: ChatProviders;
  readonly users: Pick<UserStore, 'get'>;
  readonly preferences: Pick<NotificationPreferenceStore, 'getMany'>;
  readonly clock: Clock;
}

/**
 * Who a chat destination reaches: its conversation on the connection's provider, while the
 * connection is active and its provider plays the chat part; a user's DM only while the user is
 * active and their preferences take this event by chat.
 */
export class ConnectionChatRecipients implements ChatRecipients {
  private readonly reads = new TtlCache<Promise<Connection | null>>(CONNECTION_CACHE_MS, 2_000);

  constructor(private readonly deps: ChatRecipientsDeps) {}

  private connection(orgId: string, connectionId: string) {
    const key = `${orgId}#${connectionId}`;
    let read = this.reads.get(key);
    if (!read) {
      read = this.deps.connections.get(orgId, connectionId);
      read.catch(() => this.reads.delete(key));
      this.reads.set(key, read);
    }
    return read;
  }

  async resolve(orgId: string, destination: ChatDestination, event: CanonicalEvent): Promise<ChatTarget[]> {
    const connection = await this.connection(orgId, destination.connectionId);
    const skip = (reason: string) => {
      logger.info('A chat destination reaches nobody for this event', {
        tenantId: orgId,
        eventId: event.id,
        connectionId: destination.connectionId,
        reason,
      });
      return [];
    };
    if (!connection) return skip('the connection was deleted');
    if (connection.status !== 'active') return skip(`the connection is ${connection.status}`);
    if (!this.deps.providers.has(connection.provider)) return skip('its provider has no chat part');
    const userId = userOfConversation(destination.conversation);
    if (userId) {
      const [user, prefs] = await Promise.all([
        this.deps.users.get(orgId, userId),
        this.deps.preferences.getMany(orgId, [userId]),
      ]);
      if (user?.status !== 'active') return skip('the user is not an active user');
      const decision = chatDecision(
        prefs.get(userId) ?? DEFAULT_PREFERENCES,
        event.type,
        this.deps.clock.now(),
      );
      if (decision !== 'now') return skip("the user's preferences do not take this event by chat");
    }
    return [
      {
        channel: 'chat',
        provider: connection.provider,
        connectionId: connection.id,
        conversation: destination.conversation,
      },
    ];
  }
}
