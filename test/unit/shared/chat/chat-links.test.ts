import {
  CHAT_LINK_TOKEN,
  CHAT_LINK_TTL_SECONDS,
  chatLinkKey,
  makeConfirmChatLink,
  makeUnlinkChatAccount,
  mintChatLinkToken,
  verifyChatLinkToken,
} from '../../../../shared/chat/chat-links';
import type { IdentityLink } from '../../../../shared/chat/ports';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../../shared/errors';
import type { Principal } from '../../../../shared/identity/principal';
import { identityLinksFake } from '../../../support/identity-links';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E4';
const NOW = new Date('2026-03-01T12:00:00Z');
const KEY = chatLinkKey({ signingSecret: 's3cret' });
const claims = { orgId: ORG, connectionId: CON, provider: 'chatfake', platformUserId: 'U1' };
const user: Principal = {
  kind: 'org_member',
  type: 'user',
  id: USER,
  name: 'Ada',
  orgId: ORG,
  role: 'viewer',
};
const request = { requestId: 'r1', ip: '203.0.113.9', userAgent: 'jest' };

function setup(now = NOW, initial: IdentityLink[] = []) {
  const nonces = new Set<string>();
  const identities = identityLinksFake(initial);
  const confirm = makeConfirmChatLink({
    keyOf: async (provider) => (provider === 'chatfake' ? KEY : null),
    used: { claim: async (nonce) => (nonces.has(nonce) ? false : Boolean(nonces.add(nonce))) },
    identities: identities.store,
    clock: { now: () => new Date(now) },
  });
  return { confirm, links: identities.links, audit: identities.audit, nonces };
}

describe('chat links', () => {
  it('verify only with the key they were signed with, until they expire', () => {
    const token = mintChatLinkToken(KEY, claims, NOW);
    expect(verifyChatLinkToken(KEY, token, NOW)).toEqual(expect.objectContaining(claims));
    expect(verifyChatLinkToken(chatLinkKey({ signingSecret: 'other' }), token, NOW)).toBeNull();
    const later = new Date(NOW.getTime() + CHAT_LINK_TTL_SECONDS * 1000);
    expect(verifyChatLinkToken(KEY, token, later)).toBeNull();
  });

  it('refuse a token whose claims were changed', () => {
    const [body, mac] = mintChatLinkToken(KEY, claims, NOW).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()),
        orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E9',
      }),
    ).toString('base64url');
    expect(verifyChatLinkToken(KEY, `${forged}.${mac}`, NOW)).toBeNull();
  });

  it('carry the names they show clipped, and give up the handle, then the names, before outgrowing a short URL (the ids stay)', () => {
    const named = {
      ...claims,
      platformUserName: 'Ada '.repeat(40),
      platformUserHandle: 'ada',
      installationId: 'T0ACME0001',
      installationName: 'Acme',
    };
    const clipped = verifyChatLinkToken(KEY, mintChatLinkToken(KEY, named, NOW), NOW);
    expect([...(clipped?.platformUserName ?? '')]).toHaveLength(80);
    expect(clipped).toEqual(expect.objectContaining({ platformUserHandle: 'ada', installationName: 'Acme' }));
    // Four-byte characters: three names of 80 would not fit in the token.
    const wide = '𝔄'.repeat(80);
    const huge = {
      ...named,
      platformUserName: wide,
      platformUserHandle: wide,
      installationName: wide,
      // The hub user the link is bound to is never given up to make room.
      userId: USER,
    };
    const token = mintChatLinkToken(KEY, huge, NOW);
    expect(CHAT_LINK_TOKEN.test(token)).toBe(true);
    const kept = verifyChatLinkToken(KEY, token, NOW);
    expect(kept).not.toHaveProperty('platformUserHandle');
    expect(kept).toEqual(
      expect.objectContaining({
        platformUserId: 'U1',
        installationId: 'T0ACME0001',
        orgId: ORG,
        userId: USER,
      }),
    );
  });

  it('link the signed-in user once, audited with the platform as the channel', async () => {
    const { confirm, links, audit } = setup();
    const token = mintChatLinkToken(KEY, claims, NOW);
    await confirm(ORG, token, user, request);
    expect(links).toEqual([
      expect.objectContaining({ orgId: ORG, userId: USER, platformUserId: 'U1', via: 'link' }),
    ]);
    expect(audit).toEqual([expect.objectContaining({ action: 'chat.identity_linked', channel: 'chatfake' })]);
    await expect(confirm(ORG, token, user, request)).rejects.toThrow(/used already/);
  });

  it("are unknown in another org, and to a platform admin's or an org key's caller", async () => {
    const { confirm, links } = setup();
    const token = mintChatLinkToken(KEY, claims, NOW);
    const elsewhere = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E9';
    await expect(confirm(elsewhere, token, { ...user, orgId: elsewhere }, request)).rejects.toThrow(
      /unknown/,
    );
    const orgKey: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_1',
      name: 'k',
      orgId: ORG,
      role: 'owner',
    };
    await expect(confirm(ORG, token, orgKey, request)).rejects.toThrow(/an API key cannot/);
    expect(links).toEqual([]);
  });

  it('are confirmed only with the hub user’s own user token: a personal API key is refused 403, the link left unused', async () => {
    const { confirm, links, nonces } = setup();
    const personalKey: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_2',
      name: 'ada laptop',
      orgId: ORG,
      role: 'member',
      ownerUserId: USER,
    };
    const failure = await confirm(ORG, mintChatLinkToken(KEY, claims, NOW), personalKey, request).catch(
      (e) => e,
    );
    expect(failure).toBeInstanceOf(ForbiddenError);
    expect(failure).toMatchObject({ status: 403 });
    const admin: Principal = { kind: 'platform_admin', type: 'user', id: USER, name: 'root' };
    await expect(confirm(ORG, mintChatLinkToken(KEY, claims, NOW), admin, request)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(links).toEqual([]);
    expect(nonces.size).toBe(0);
  });

  it('bound to a hub user are refused 403 to any other signed-in user, and link that user', async () => {
    const { confirm, links, nonces } = setup();
    const bound = mintChatLinkToken(KEY, { ...claims, userId: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E7' }, NOW);
    const failure = await confirm(ORG, bound, user, request).catch((e) => e);
    expect(failure).toBeInstanceOf(ForbiddenError);
    expect((failure as Error).message).toMatch(/for another hub user/);
    expect(links).toEqual([]);
    expect(nonces.size).toBe(0);
    await confirm(ORG, mintChatLinkToken(KEY, { ...claims, userId: USER }, NOW), user, request);
    expect(links).toEqual([expect.objectContaining({ userId: USER, platformUserId: 'U1' })]);
  });

  it('refuse, 409 with the reason, a chat account already linked to another hub user, leaving the link unused', async () => {
    const other = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E7';
    const theirs: IdentityLink = {
      orgId: ORG,
      provider: 'chatfake',
      platformUserId: 'U1',
      userId: other,
      connectionId: CON,
      via: 'email',
      linkedAt: NOW.toISOString(),
    };
    const { confirm, links, nonces } = setup(NOW, [theirs]);
    const failure = await confirm(ORG, mintChatLinkToken(KEY, claims, NOW), user, request).catch((e) => e);
    expect(failure).toBeInstanceOf(ConflictError);
    expect(failure).toMatchObject({ status: 409, extensions: { reason: 'platform_user_taken' } });
    expect((failure as Error).message).toMatch(/already linked to another hub user/);
    expect(links).toEqual([theirs]);
    expect(nonces.size).toBe(0);
  });

  it('refuse, 409, a second chat account of the same workspace for a hub user, until the first is unlinked', async () => {
    const mine: IdentityLink = {
      orgId: ORG,
      provider: 'chatfake',
      platformUserId: 'U0',
      userId: USER,
      connectionId: CON,
      via: 'link',
      linkedAt: NOW.toISOString(),
    };
    const { confirm, links, nonces } = setup(NOW, [mine]);
    const failure = await confirm(ORG, mintChatLinkToken(KEY, claims, NOW), user, request).catch((e) => e);
    // The caller's own other account is named, for them to unlink.
    expect(failure).toMatchObject({
      status: 409,
      extensions: { reason: 'user_taken', linkedPlatformUserId: 'U0' },
    });
    expect(links).toEqual([mine]);
    expect(nonces.size).toBe(0);
    // Another workspace (connection) of the org is another account's place.
    const elsewhere = { ...claims, connectionId: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E8' };
    await confirm(ORG, mintChatLinkToken(KEY, elsewhere, NOW), user, request);
    expect(links.map((l) => l.platformUserId)).toEqual(['U0', 'U1']);
  });
});

describe('unlinking a chat account', () => {
  const mine: IdentityLink = {
    orgId: ORG,
    provider: 'chatfake',
    platformUserId: 'U1',
    userId: USER,
    connectionId: CON,
    via: 'email',
    linkedAt: NOW.toISOString(),
  };
  const theirs: IdentityLink = { ...mine, platformUserId: 'U2', userId: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E7' };
  const unlinkSetup = () => {
    const identities = identityLinksFake([mine, theirs]);
    const unlink = makeUnlinkChatAccount({
      identities: identities.store,
      clock: { now: () => new Date(NOW) },
    });
    return { unlink, ...identities };
  };

  it('removes the caller’s own link, audited, and frees both sides for a new link', async () => {
    const { unlink, links, audit } = unlinkSetup();
    await unlink(ORG, 'chatfake', 'U1', user, request);
    expect(links).toEqual([theirs]);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'chat.identity_unlinked',
        targets: [
          { type: 'user', id: USER },
          { type: 'connection', id: CON },
        ],
      }),
    ]);
    await expect(unlink(ORG, 'chatfake', 'U1', user, request)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('finds no link of another person, and refuses an API key, changing nothing', async () => {
    const { unlink, links, audit } = unlinkSetup();
    await expect(unlink(ORG, 'chatfake', 'U2', user, request)).rejects.toBeInstanceOf(NotFoundError);
    const personalKey: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_2',
      name: 'k',
      orgId: ORG,
      role: 'owner',
      ownerUserId: USER,
    };
    await expect(unlink(ORG, 'chatfake', 'U1', personalKey, request)).rejects.toBeInstanceOf(ForbiddenError);
    expect(links).toEqual([mine, theirs]);
    expect(audit).toEqual([]);
  });
});
