import { chatLinkPage } from '../../../../shared/chat/chat-link-page';
import type { ChatLinkClaims } from '../../../../shared/chat/chat-links';

const claims: ChatLinkClaims = {
  orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
  connectionId: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3',
  provider: 'slack',
  platformUserId: 'U0EVE00001',
  platformUserName: 'Eve <script>alert("x")</script>',
  platformUserHandle: `eve"'><img src=x onerror=alert(1)>`,
  installationId: 'T0ACME0001',
  installationName: `Acme & "Co" <b>'s</b>`,
  nonce: 'n',
  expiresAt: Date.parse('2026-03-01T12:15:00Z') / 1000,
};

/** The text of the element with this id, as a browser would show it (tags dropped, entities read). */
function shown(html: string, id: string): string {
  const inner = html.match(new RegExp(`<dd id="${id}">(.*?)</dd>`))?.[1];
  if (inner === undefined) throw new Error(`no #${id}`);
  return inner
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe("a chat link's confirmation page", () => {
  it('shows which account (display name, handle, id) in which workspace (name, id) it links, to which org', () => {
    const html = chatLinkPage(claims, 'Slack', 'Chat Co', 'tok.en');
    expect(shown(html, 'chat-account')).toBe(
      `Eve <script>alert("x")</script> (@eve"'><img src=x onerror=alert(1)>), id U0EVE00001`,
    );
    expect(shown(html, 'chat-installation')).toBe(`Acme & "Co" <b>'s</b>, id T0ACME0001`);
    expect(shown(html, 'hub-org')).toBe('Chat Co');
    expect(html).toContain('Confirm only if this is your own Slack account');
    // Only the person's own sign-in confirms it.
    expect(html).toContain('Sign in to the hub as yourself (an API key cannot confirm it)');
  });

  it('escapes every name and id it shows: no markup of theirs reaches the page', () => {
    const html = chatLinkPage(
      { ...claims, orgId: 'org_"><script>1</script>' },
      'Slack',
      `<img src=x onerror=alert(2)> "Org"`,
      'tok.en',
    );
    expect(html).not.toMatch(/<script|<img|<b>|onerror=alert\(1\)>/);
    expect(html).toContain('Eve &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('@eve&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Acme &amp; &quot;Co&quot; &lt;b&gt;&#39;s&lt;/b&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt; &quot;Org&quot;');
    // Only the page's own tags remain.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]?.toLowerCase()));
    expect([...tags].sort()).toEqual(
      ['body', 'code', 'dd', 'dl', 'dt', 'h1', 'head', 'html', 'meta', 'p', 'strong', 'title'].sort(),
    );
  });

  it('shows the ids alone when the platform gave no names', () => {
    const { platformUserName: _n, platformUserHandle: _h, installationName: _i, ...bare } = claims;
    const html = chatLinkPage(bare, 'Microsoft Teams', 'Chat Co', 'tok.en');
    expect(shown(html, 'chat-account')).toBe('id U0EVE00001');
    expect(shown(html, 'chat-installation')).toBe('id T0ACME0001');
    const { installationId: _d, ...older } = bare;
    expect(shown(chatLinkPage(older, 'Slack', 'Chat Co', 'tok.en'), 'chat-installation')).toBe(
      'not named in this link',
    );
  });
});
