import type { AuditRecord } from '../../../../shared/audit/audit-record';
import {
  CHAT_LINK_TOKEN,
  CHAT_LINK_TTL_SECONDS,
  chatLinkKey,
  makeConfirmChatLink,
  mintChatLinkToken,
  verifyChatLinkToken,
} from '../../../../shared/chat/chat-links';
import type { IdentityLink } from '../../../../shared/chat/ports';
import type { Principal } from '../../../../shared/identity/principal';

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

function setup(now = NOW) {
  const nonces = new Set<string>();
  const links: IdentityLink[] = [];
  const audit: AuditRecord[] = [];
  const confirm = makeConfirmChatLink({
    keyOf: async (provider) => (provider === 'chatfake' ? KEY : null),
    used: { claim: async (nonce) => (nonces.has(nonce) ? false : Boolean(nonces.add(nonce))) },
    identities: {
      find: async () => null,
      put: async (link, record) => {
        links.push(link);
        audit.push(record);
      },
    },
    clock: { now: () => new Date(now) },
  });
  return { confirm, links, audit };
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
    };
    const token = mintChatLinkToken(KEY, huge, NOW);
    expect(CHAT_LINK_TOKEN.test(token)).toBe(true);
    const kept = verifyChatLinkToken(KEY, token, NOW);
    expect(kept).not.toHaveProperty('platformUserHandle');
    expect(kept).toEqual(
      expect.objectContaining({ platformUserId: 'U1', installationId: 'T0ACME0001', orgId: ORG }),
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
    await expect(confirm(ORG, token, orgKey, request)).rejects.toThrow(/Sign in as yourself/);
    expect(links).toEqual([]);
  });
});
