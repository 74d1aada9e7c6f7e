import type { AppReply } from './model';

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const headers = (formActions?: readonly string[]) => ({
  'content-type': 'text/html; charset=utf-8',
  // Never framed (a confirm button under someone else's page is a click they did not mean).
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'${
    formActions ? `; form-action ${formActions.join(' ')}` : ''
  }`,
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
});
const html = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** A small page for the person in a chat app's browser flow: no secret, nothing of the request reflected. */
export function page(status: number, title: string, text: string): AppReply {
  return { status, headers: headers(), body: html(title, `<p>${escapeHtml(text)}</p>`) };
}

/**
 * A page that asks the person to confirm with a button: a form POSTed to `action` on the hub
 * (its hidden fields escaped), allowed to go on to `formActions` (a redirect it answers with).
 */
export function confirmPage(
  title: string,
  lines: readonly string[],
  form: {
    readonly action: string;
    readonly fields: Readonly<Record<string, string>>;
    readonly button: string;
    readonly formActions: readonly string[];
  },
): AppReply {
  const fields = Object.entries(form.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const body = `${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}<form method="post" action="${escapeHtml(form.action)}">${fields}<button type="submit">${escapeHtml(form.button)}</button></form>`;
  return { status: 200, headers: headers(form.formActions), body: html(title, body) };
}
