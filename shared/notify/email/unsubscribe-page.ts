import { escapeHtml } from '../render/html';

/** Headers of the unsubscribe pages: nothing loaded from afar, not framed, the token never sent on. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328"><h1 style="font-size:1.4rem">${escapeHtml(title)}</h1>${body}</body></html>`;

/**
 * The page an unsubscribe link opens: what it stops and a button that confirms. Opening it changes
 * nothing (link scanners open every link); the button posts RFC 8058's one-click form.
 */
export function confirmPage(orgName: string, token: string, stops: 'user' | 'address'): string {
  const what =
    stops === 'user'
      ? `all email notifications from ${orgName} to you (you can turn them on again in your notification preferences)`
      : `all email notifications from ${orgName} to this address`;
  return page(
    'Unsubscribe',
    `<p>This stops ${escapeHtml(what)}.</p><form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="font-size:1rem;padding:.5rem 1rem">Unsubscribe</button></form>`,
  );
}

export function donePage(orgName: string): string {
  return page('Unsubscribed', `<p>You will get no more email notifications from ${escapeHtml(orgName)}.</p>`);
}

export function unknownLinkPage(): string {
  return page('Link not found', '<p>This unsubscribe link is unknown or has expired.</p>');
}

/** The page a confirmation link opens: who would email the address, and a button that confirms. */
export function confirmAddressPage(orgName: string, token: string): string {
  return page(
    'Confirm notification emails',
    `<p>A notification rule of ${escapeHtml(orgName)} would send emails to this address. Nothing is sent to it unless you confirm.</p><form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}"><button type="submit" style="font-size:1rem;padding:.5rem 1rem">Confirm</button></form>`,
  );
}

export function addressConfirmedPage(orgName: string): string {
  return page(
    'Address confirmed',
    `<p>This address now gets the email notifications of ${escapeHtml(orgName)}. Each email has a link to unsubscribe.</p>`,
  );
}

export function unknownConfirmationPage(): string {
  return page('Link not found', '<p>This confirmation link is unknown, already used or has expired.</p>');
}
