import type { RuntimeProcess } from './runtime-process';
import { eventually } from './runtime-process';

/** The subject the hub's address confirmation emails start with. */
export const CONFIRMATION_SUBJECT = 'Confirm notification emails';

interface CapturedMail {
  subject: string;
  text: string;
}

/** The captured mail to an address, without the hub's confirmation emails (what rules sent it). */
export const withoutConfirmations = <T extends { subject: string }>(items: T[]): T[] =>
  items.filter((m) => !m.subject.startsWith(CONFIRMATION_SUBJECT));

/**
 * Confirms an address the way its owner would: the confirmation email's link opened (a page that
 * changes nothing), then its button (a POST to the same link). Answers the token spent.
 */
export async function confirmAddress(hub: RuntimeProcess, address: string): Promise<string> {
  const mail = await eventually(async () => {
    const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(address)}`);
    const items = ((await res.json()) as { items: CapturedMail[] }).items;
    return items.find((m) => m.subject.startsWith(CONFIRMATION_SUBJECT));
  }, 30_000);
  const token = /token=(hubconf_[A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
  if (!token) throw new Error(`No confirmation link in the email to ${address}`);
  const page = await fetch(`${hub.url}/email-confirmations?token=${token}`);
  if (page.status !== 200) throw new Error(`The confirmation page answered ${page.status}`);
  const confirmed = await fetch(`${hub.url}/email-confirmations?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  if (confirmed.status !== 200) throw new Error(`The confirmation answered ${confirmed.status}`);
  return token;
}
