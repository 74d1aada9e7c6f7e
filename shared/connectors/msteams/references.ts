import type { ConversationDirectory, StoredConversation } from '../../chat/model';
import type { Activity } from './activity';
import { tenantOf } from './activity';

export const TEAMS = 'msteams';

/** A conversation the bot was added to (a Bot Framework conversation reference), as the hub keeps it. */
export interface ConversationReference {
  readonly conversationId: string;
  readonly serviceUrl: string;
  readonly tenantId: string;
  readonly botId: string;
  readonly conversationType?: string;
  readonly teamId?: string;
  readonly channelId?: string;
  readonly name?: string;
}

/** The key of a tenant's own record: its service URL and a conversation its people are members of. */
export const tenantKey = (tenantId: string) => `tenant:${tenantId}`;

/** The reference of a verified activity's conversation. */
export function referenceOf(activity: Activity, tenantId: string): ConversationReference {
  const cd = activity.channelData;
  const name = cd?.channel?.name ?? cd?.team?.name ?? activity.conversation.name;
  return {
    conversationId: activity.conversation.id,
    serviceUrl: activity.serviceUrl,
    tenantId: tenantOf(activity) ?? tenantId,
    botId: activity.recipient?.id ?? '',
    ...(activity.conversation.conversationType
      ? { conversationType: activity.conversation.conversationType }
      : {}),
    ...(cd?.team?.id ? { teamId: cd.team.id } : {}),
    ...(cd?.channel?.id ? { channelId: cd.channel.id } : {}),
    ...(name ? { name } : {}),
  };
}

const stored = (ref: ConversationReference, at: Date): StoredConversation => ({
  id: ref.conversationId,
  installationId: ref.tenantId,
  ...(ref.name ? { name: ref.name.slice(0, 200) } : {}),
  data: Object.fromEntries(
    Object.entries({
      serviceUrl: ref.serviceUrl,
      botId: ref.botId,
      conversationType: ref.conversationType,
      teamId: ref.teamId,
      channelId: ref.channelId,
    })
      .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
      .map(([k, v]) => [k, v.slice(0, 1000)]),
  ),
  updatedAt: at.toISOString(),
});

const reference = (s: StoredConversation): ConversationReference | null => {
  const { serviceUrl, botId, conversationType, teamId, channelId } = s.data;
  if (!serviceUrl) return null;
  return {
    conversationId: s.id,
    serviceUrl,
    tenantId: s.installationId,
    botId: botId ?? '',
    ...(conversationType ? { conversationType } : {}),
    ...(teamId ? { teamId } : {}),
    ...(channelId ? { channelId } : {}),
    ...(s.name ? { name: s.name } : {}),
  };
};

/** The conversation references of an org's Teams connection, in the chat conversation directory. */
export function teamsReferences(directory: ConversationDirectory) {
  return {
    /** Keeps the conversation's reference, and the tenant's record (its service URL, a conversation of it). */
    async remember(orgId: string, ref: ConversationReference, at: Date): Promise<void> {
      await directory.remember(orgId, TEAMS, stored(ref, at));
      await directory.remember(orgId, TEAMS, {
        ...stored(ref, at),
        id: tenantKey(ref.tenantId),
        data: { ...stored(ref, at).data, conversationId: ref.conversationId },
      });
    },
    async recall(orgId: string, conversationId: string): Promise<ConversationReference | null> {
      const found = await directory.recall(orgId, TEAMS, conversationId);
      return found ? reference(found) : null;
    },
    /** The tenant's service URL and the last conversation of it the bot was added to. */
    async tenant(orgId: string, tenantId: string): Promise<ConversationReference | null> {
      const found = await directory.recall(orgId, TEAMS, tenantKey(tenantId));
      const conversationId = found?.data.conversationId;
      return found && conversationId ? reference({ ...found, id: conversationId }) : null;
    },
    forget: (orgId: string, conversationId: string) => directory.forget(orgId, TEAMS, conversationId),
    /** Forgets every reference of the tenant in the org: its conversations and its own record. */
    forgetTenant: (orgId: string, tenantId: string) => directory.forgetInstallation(orgId, TEAMS, tenantId),
  };
}
export type TeamsReferences = ReturnType<typeof teamsReferences>;
