import type { ChatLinkClaims } from './chat-links';

/** The headers of the link's pages: nothing framed, loaded or referred elsewhere. */
export const LINK_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** What a valid link links, and how the signed-in person confirms it (this page changes nothing). */
export function chatLinkPage(
  claims: ChatLinkClaims,
  providerName: string,
  orgName: string,
  token: string,
): string {
  const who = claims.platformUserName ? ` (${escapeHtml(claims.platformUserName)})` : '';
  return page(
    `Link your ${providerName} account`,
    `<p>This links your ${escapeHtml(providerName)} account${who} to your user in <strong>${escapeHtml(orgName)}</strong> on the hub, so the hub's bot acts as you.</p>
<p>Sign in to the hub as yourself (an API key cannot confirm it), then confirm — with the CLI: <code>hub chat-links confirm ${escapeHtml(claims.orgId)} ${escapeHtml(token)}</code>, or with the API: <code>POST /v1/orgs/${escapeHtml(claims.orgId)}/chat-links</code> with <code>{"token": "…"}</code>.</p>
<p>The link works once, until ${escapeHtml(new Date(claims.expiresAt * 1000).toISOString())}.</p>`,
  );
}

export const unknownChatLinkPage = () =>
  page('This link does not work', '<p>It is unknown or has expired. Ask the bot again for a new link.</p>');
