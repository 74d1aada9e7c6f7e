import { auditBySystem } from '../audit/audit-record';
import type { ActAsDeps, OrgPrincipal } from '../bot/act-as';
import { actAs } from '../bot/act-as';
import { errorCard } from '../bot/commands';
import type { Connection } from '../connectors/connection';
import { HubError } from '../errors';
import { logger } from '../observability/observability';
import type { UserStore } from '../ports/stores';
import { chatLinkKey, linkTaken, mintChatLinkToken } from './chat-links';
import type { ChatCard, ChatClient, ChatConnection, ChatWork, PlatformUser } from './model';
import type { ChatRateLimiter, IdentityLinkStore } from './ports';

declare const admitted: unique symbol;

/**
 * A hub member the gate admitted for one piece of chat work: only `authorizeMember` makes one, so a
 * bot command or an approval answer cannot run for a person the gate did not let through.
 */
export type ChatMember = {
  readonly userId: string;
  /** The hub user as the hub's records stand now (org and user active). */
  readonly principal: OrgPrincipal;
  readonly [admitted]: true;
};

/** What the gate decided: a member to act as, or the only card the person gets. */
export type MemberGateOutcome =
  | { readonly kind: 'member'; readonly member: ChatMember }
  /** Not (or not yet) a member: the signed link prompt, or why not. Nothing else is read or done. */
  | { readonly kind: 'refused'; readonly card: ChatCard | null };

export interface MemberGateDeps {
  /** Each chat provider's app settings, decrypted (their key signs the provider's chat links). */
  readonly appSettings: (provider: string) => Promise<Readonly<Record<string, string>>>;
  /** The name of the workspace or tenant a connection is installed in (`ChatPart.installationName`), if the provider knows it. */
  readonly installationName?: (provider: string, connection: Connection) => string | undefined;
  readonly identities: Pick<IdentityLinkStore, 'find' | 'put'>;
  readonly users: Pick<UserStore, 'findByEmail'>;
  /** The per-chat-user rate every piece of work counts against, refused or not. */
  readonly rate: ChatRateLimiter;
  /** The same reads as the API's gate (org, user). */
  readonly actAs: ActAsDeps;
  readonly publicUrl: string;
}

const slowDown = (retryAfterSeconds: number): ChatCard => ({
  title: 'Too many requests',
  text: `You sent the hub more than it takes in a minute. Try again in ${retryAfterSeconds} s.`,
  tone: 'warning',
  fallback: `Too many requests: try again in ${retryAfterSeconds} s`,
});

/**
 * The one gate every piece of a person's chat work (a command, `help` included, a button) passes
 * before anything else is read for it: counted against the person's chat rate first (a refusal
 * spends it as a success does), then matched to a hub user (an identity link, else the platform's verified email, then
 * linked) and read as the API's gate reads a caller (org and user active). An unmatched person gets
 * only the signed, single-use link prompt; a refused one only the reason.
 */
export function makeAuthorizeMember(deps: MemberGateDeps) {
  /**
   * The hub user a platform user is, linked on first match by verified email; when unknown, the hub
   * user whose email it is (not active), who alone may confirm the link then, or null (with what the
   * platform says of the person, when it was asked).
   */
  const matchUser = async (
    work: ChatWork,
    client: ChatClient,
    connection: ChatConnection,
  ): Promise<
    | { userId: string }
    | { refused: string }
    | { unlinked: string | null; known: PlatformUser | null | undefined }
  > => {
    const linked = await deps.identities.find(work.orgId, work.provider, work.actor.platformUserId);
    if (linked) return { userId: linked.userId };
    const known = work.actor.verifiedEmail
      ? work.actor
      : await client.lookupUser(connection, work.actor.platformUserId);
    const email = known?.verifiedEmail?.toLowerCase();
    if (!email) return { unlinked: null, known };
    const user = await deps.users.findByEmail(work.orgId, email);
    if (!user) return { unlinked: null, known };
    if (user.status !== 'active') return { unlinked: user.id, known };
    const at = deps.actAs.clock.now();
    const stored = await deps.identities.put(
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
    // Links are 1:1: a second account of the same person in this workspace is not linked.
    return stored === 'linked' ? { userId: user.id } : { refused: linkTaken(stored).message };
  };

  /**
   * The signed link an unknown person gets. It names the workspace or tenant and the platform user
   * (display name and handle) it links, so its page can show whose account would be linked, and the
   * hub user it is for when the bot knows (no one else may confirm it then).
   */
  const linkCard = async (
    work: ChatWork,
    current: Connection | undefined,
    known: PlatformUser | null | undefined,
    forUser: string | null,
  ): Promise<ChatCard> => {
    const key = chatLinkKey(await deps.appSettings(work.provider));
    // The platform's own answer names the person; the name in the request is their handle when it differs.
    const displayName = known?.name ?? work.actor.name;
    const handle = known?.name && work.actor.name !== known.name ? work.actor.name : undefined;
    const installationName = current ? deps.installationName?.(work.provider, current) : undefined;
    const token = mintChatLinkToken(
      key,
      {
        orgId: work.orgId,
        connectionId: work.connectionId,
        provider: work.provider,
        platformUserId: work.actor.platformUserId,
        ...(displayName ? { platformUserName: displayName } : {}),
        ...(handle ? { platformUserHandle: handle } : {}),
        ...(work.installationId ? { installationId: work.installationId } : {}),
        ...(installationName ? { installationName } : {}),
        ...(forUser ? { userId: forUser } : {}),
      },
      deps.actAs.clock.now(),
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

  /** `current` is the connection as stored (its workspace's name goes into a link prompt). */
  return async (
    work: ChatWork,
    client: ChatClient,
    connection: ChatConnection,
    current?: Connection,
  ): Promise<MemberGateOutcome> => {
    const counted = await deps.rate.consume(
      work.orgId,
      { provider: work.provider, platformUserId: work.actor.platformUserId },
      deps.actAs.clock.now(),
    );
    if (counted.outcome !== 'allowed') {
      logger.warn('Chat work over the person’s rate: refused', {
        provider: work.provider,
        tenantId: work.orgId,
      });
      // Said once a window; past that, nothing is sent either.
      return {
        kind: 'refused',
        card: counted.outcome === 'over' ? slowDown(counted.retryAfterSeconds) : null,
      };
    }
    const matched = await matchUser(work, client, connection);
    if ('unlinked' in matched)
      return { kind: 'refused', card: await linkCard(work, current, matched.known, matched.unlinked) };
    if ('refused' in matched) return { kind: 'refused', card: errorCard(matched.refused, 'warning') };
    try {
      const principal = await actAs(deps.actAs, work.orgId, matched.userId);
      return { kind: 'member', member: { userId: matched.userId, principal } as ChatMember };
    } catch (error) {
      if (error instanceof HubError && error.status < 500)
        return { kind: 'refused', card: errorCard(error.message) };
      throw error;
    }
  };
}
