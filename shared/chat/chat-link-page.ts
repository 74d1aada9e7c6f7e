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

/** A name and the id that settles it, both escaped: `<strong>name</strong>, id <code>id</code>`. */
const named = (name: string | undefined, extra: string, id: string | undefined, unknown: string) => {
  const parts = [
    name ? `<strong>${escapeHtml(name)}</strong>${extra}` : extra.trim(),
    id ? `id <code>${escapeHtml(id)}</code>` : '',
  ].filter((p) => p.length > 0);
  return parts.length > 0 ? parts.join(', ') : unknown;
};

/**
 * What a valid link links — which platform account (display name, handle, id), in which workspace
 * or tenant (name, id), to which org — and how the signed-in person confirms it (this page changes
 * nothing). Everything from the platform is escaped: a display name is whatever its owner typed.
 */
export function chatLinkPage(
  claims: ChatLinkClaims,
  providerName: string,
  orgName: string,
  token: string,
): string {
  const provider = escapeHtml(providerName);
  const handle = claims.platformUserHandle ? ` (@${escapeHtml(claims.platformUserHandle)})` : '';
  const account = named(claims.platformUserName, handle, claims.platformUserId, 'not named');
  const installation = named(claims.installationName, '', claims.installationId, 'not named in this link');
  return page(
    `Link your ${providerName} account`,
    `<p>This links a ${provider} account to your user in <strong>${escapeHtml(orgName)}</strong> on the hub, so the hub's bot acts as you for whoever uses that account.</p>
<dl>
<dt>${provider} account</dt><dd id="chat-account">${account}</dd>
<dt>${provider} workspace or tenant</dt><dd id="chat-installation">${installation}</dd>
<dt>Hub organisation</dt><dd id="hub-org"><strong>${escapeHtml(orgName)}</strong></dd>
</dl>
<p><strong>Confirm only if this is your own ${provider} account, in that workspace.</strong> If someone sent you this link, or you do not recognise the account, do not confirm it: ask the bot for your own link.</p>
<p>Sign in to the hub as yourself (an API key cannot confirm it), then confirm — with the CLI: <code>hub chat-links confirm ${escapeHtml(claims.orgId)} ${escapeHtml(token)}</code>, or with the API: <code>POST /v1/orgs/${escapeHtml(claims.orgId)}/chat-links</code> with <code>{"token": "…"}</code>.</p>
<p>The link works once, until ${escapeHtml(new Date(claims.expiresAt * 1000).toISOString())}.</p>`,
  );
}

export const unknownChatLinkPage = () =>
  page('This link does not work', '<p>It is unknown or has expired. Ask the bot again for a new link.</p>');
