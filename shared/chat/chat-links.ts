import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import { CHAT_LINK_TOKEN } from './link-token-format';
import type { IdentityLink, IdentityLinkPut, IdentityLinkStore, UsedTokens } from './ports';

/** A link to connect a platform user to a hub user lives this long, and works once. */
export const CHAT_LINK_TTL_SECONDS = 15 * 60;

/** What a chat link says: which org's installation, which platform user, until when. */
export interface ChatLinkClaims {
  readonly orgId: string;
  readonly connectionId: string;
  readonly provider: string;
  readonly platformUserId: string;
  /** The person's display name, as the platform gives it. */
  readonly platformUserName?: string;
  /** Their handle (Slack's username), when the platform gives one apart from the display name. */
  readonly platformUserHandle?: string;
  /** The workspace or tenant the link came from (Slack team id, Teams tenant id). */
  readonly installationId?: string;
  /** That workspace's name, as the platform gave it at install. */
  readonly installationName?: string;
  /**
   * The hub user the link is for, when the bot knows (the platform's verified email is theirs): no
   * one else may confirm it.
   */
  readonly userId?: string;
  /** Single use: claimed when the link is confirmed. */
  readonly nonce: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export { CHAT_LINK_TOKEN };

const b64 = (buffer: Buffer) => buffer.toString('base64url');

/**
 * The key chat links of a provider are signed with: derived from the deployment's app settings of
 * that provider (stored KMS-encrypted), so it is never stored in the clear, and changing the
 * settings invalidates every outstanding link.
 */
export function chatLinkKey(settings: Readonly<Record<string, string>>): Buffer {
  const canonical = JSON.stringify(
    Object.keys(settings)
      .sort()
      .map((k) => [k, settings[k]]),
  );
  return createHmac('sha256', 'integration-hub chat link v1').update(canonical).digest();
}

const sign = (key: Buffer, body: string) => b64(createHmac('sha256', key).update(body).digest());

/** The longest a display field of a link may be (in characters), so the token stays a short URL. */
const DISPLAY_CHARS = 80;
/** The longest a token's claims may be, encoded (`CHAT_LINK_TOKEN`). */
const MAX_BODY_CHARS = 800;
/** Display fields given up, in this order, when the claims would not fit (the ids always stay). */
const DROPPABLE = ['platformUserHandle', 'installationName', 'platformUserName'] as const;

const clip = (text: string) => [...text].slice(0, DISPLAY_CHARS).join('');

/** A signed, short-lived link token for a platform user to link themselves to a hub user. */
export function mintChatLinkToken(
  key: Buffer,
  claims: Omit<ChatLinkClaims, 'nonce' | 'expiresAt'>,
  now: Date,
): string {
  let full: ChatLinkClaims = {
    ...claims,
    ...Object.fromEntries(
      DROPPABLE.flatMap((field) => {
        const value = claims[field];
        return value ? [[field, clip(value)]] : [];
      }),
    ),
    nonce: b64(randomBytes(16)),
    expiresAt: Math.floor(now.getTime() / 1000) + CHAT_LINK_TTL_SECONDS,
  };
  const encode = (c: ChatLinkClaims) => b64(Buffer.from(JSON.stringify(c)));
  let body = encode(full);
  for (const field of DROPPABLE) {
    if (body.length <= MAX_BODY_CHARS) break;
    const { [field]: _dropped, ...rest } = full;
    full = rest;
    body = encode(full);
  }
  return `${body}.${sign(key, body)}`;
}

/** The provider a token names, read before its signature is checked (only to find the key). */
export function chatLinkProvider(token: string): string | null {
  if (!CHAT_LINK_TOKEN.test(token)) return null;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      provider?: unknown;
    };
    return typeof claims.provider === 'string' && /^[a-z][a-z0-9-]{0,39}$/.test(claims.provider)
      ? claims.provider
      : null;
  } catch {
    return null;
  }
}

/** The claims of a token whose signature holds and that has not expired; null otherwise. */
export function verifyChatLinkToken(key: Buffer, token: string, now: Date): ChatLinkClaims | null {
  if (!CHAT_LINK_TOKEN.test(token)) return null;
  const [body = '', mac = ''] = token.split('.');
  const expected = Buffer.from(sign(key, body));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let claims: ChatLinkClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as ChatLinkClaims;
  } catch {
    return null;
  }
  if (typeof claims.expiresAt !== 'number' || claims.expiresAt * 1000 <= now.getTime()) return null;
  return claims;
}

export interface ChatLinkDeps {
  /** The key of a provider's links (`chatLinkKey` of its app settings); null when it has none. */
  readonly keyOf: (provider: string) => Promise<Buffer | null>;
  readonly used: UsedTokens;
  readonly identities: IdentityLinkStore;
  readonly clock: Clock;
}

async function claimsOf(deps: ChatLinkDeps, token: string): Promise<ChatLinkClaims | null> {
  const provider = chatLinkProvider(token);
  const key = provider ? await deps.keyOf(provider) : null;
  return key ? verifyChatLinkToken(key, token, deps.clock.now()) : null;
}

/** What the link's page shows (its signature and expiry checked; nothing changed). */
export function makeShowChatLink(deps: ChatLinkDeps) {
  return (token: string) => claimsOf(deps, token);
}

/**
 * Confirms a chat link as the signed-in hub user: the token must be valid, unexpired, for this
 * org, and unused; the platform user is then linked to the caller (audited with the platform as
 * the channel) and can run bot commands as them.
 */
export function makeConfirmChatLink(deps: ChatLinkDeps) {
  return async (
    orgId: string,
    token: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<IdentityLink> => {
    // Only the person, signed in with their own user token: an API key (even a personal one) is a
    // credential that can be handed to a script or leaked, and must not be able to claim a chat account.
    if (principal.kind !== 'org_member' || principal.type !== 'user')
      throw new ForbiddenError('Sign in to the hub as yourself to link your chat account; an API key cannot');
    const userId = principal.id;
    const claims = await claimsOf(deps, token);
    // Another org's link is as unknown here as a forged one.
    if (!claims || claims.orgId !== orgId)
      throw new NotFoundError('The link is unknown or has expired; ask the bot for a new one');
    if (claims.userId !== undefined && claims.userId !== userId)
      throw new ForbiddenError('The link is for another hub user; sign in as the person it was sent to');
    // Refused before the single use is spent, where it can be seen already; the put decides.
    const existing = await deps.identities.find(orgId, claims.provider, claims.platformUserId);
    if (existing && existing.userId !== userId) throw linkTaken('platform_user_taken');
    const account = await deps.identities.accountIn(orgId, claims.provider, claims.connectionId, userId);
    if (account !== null && account !== claims.platformUserId) throw linkTaken('user_taken', account);
    if (!(await deps.used.claim(claims.nonce, new Date(claims.expiresAt * 1000)))) {
      throw new ConflictError('The link was used already; ask the bot for a new one');
    }
    const at = deps.clock.now();
    const link: IdentityLink = {
      orgId,
      provider: claims.provider,
      platformUserId: claims.platformUserId,
      userId,
      connectionId: claims.connectionId,
      via: 'link',
      linkedAt: at.toISOString(),
    };
    const stored = await deps.identities.put(
      link,
      auditChange({
        action: 'chat.identity_linked',
        principal,
        orgId,
        targets: [
          { type: 'user', id: userId },
          { type: 'connection', id: claims.connectionId },
        ],
        request: { ...request, channel: claims.provider },
        at,
        after: { provider: claims.provider, platformUserId: claims.platformUserId, via: 'link' },
      }),
    );
    if (stored !== 'linked') throw linkTaken(stored);
    return link;
  };
}

/**
 * The 409 of a link the 1:1 rule refuses, saying which side is linked already and what to do: the
 * caller's own other account is named (theirs to unlink); another hub user is never named.
 */
export function linkTaken(reason: Exclude<IdentityLinkPut, 'linked'>, ownAccount?: string): ConflictError {
  return new ConflictError(
    reason === 'platform_user_taken'
      ? 'This chat account is already linked to another hub user; that link must be removed first'
      : 'Your hub account is already linked to another chat account of this workspace; remove that link first',
    { extensions: { reason, ...(ownAccount ? { linkedPlatformUserId: ownAccount } : {}) } },
  );
}

/**
 * Removes the caller's own link to a chat account (signed in with their own user token, as
 * confirming one is), audited; the chat account can then be linked afresh, and the caller can link
 * another account of that workspace. Another person's link is as unknown here as none.
 */
export function makeUnlinkChatAccount(deps: Pick<ChatLinkDeps, 'identities' | 'clock'>) {
  return async (
    orgId: string,
    provider: string,
    platformUserId: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<void> => {
    if (principal.kind !== 'org_member' || principal.type !== 'user')
      throw new ForbiddenError(
        'Sign in to the hub as yourself to unlink your chat account; an API key cannot',
      );
    const link = await deps.identities.find(orgId, provider, platformUserId);
    if (!link || link.userId !== principal.id)
      throw new NotFoundError('You have no link to that chat account');
    const at = deps.clock.now();
    const removed = await deps.identities.remove(
      orgId,
      provider,
      platformUserId,
      auditChange({
        action: 'chat.identity_unlinked',
        principal,
        orgId,
        targets: [
          { type: 'user', id: link.userId },
          { type: 'connection', id: link.connectionId },
        ],
        request,
        at,
        before: { provider, platformUserId, via: link.via },
      }),
    );
    // Unlinked or relinked meanwhile: either way this link is no longer there to remove.
    if (!removed) throw new NotFoundError('You have no link to that chat account');
  };
}
