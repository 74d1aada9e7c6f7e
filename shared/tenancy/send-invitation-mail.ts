import type { MailConfig } from '../config/config';
import type { CanonicalEvent } from '../events/canonical-event';
import type { Clock } from '../ports/clock';
import type { Mailer } from '../ports/mailer';
import type { SecretCipher } from '../ports/secret-cipher';
import type { InvitationStore } from '../ports/stores';
import type { InvitationMail } from './invitation';
import { invitationTokenContext } from './invitation';

/** The announcement of an invitation email in the outbox; the worker reads the email itself from the table. */
export const INVITATION_MAIL_EVENT = 'invitation.sent';

export type MailOutcome = 'sent' | 'already-sent' | 'expired' | 'gone';

export function renderInvitation(mail: InvitationMail, token: string, config: MailConfig) {
  const link = config.acceptUrl ? `${config.acceptUrl}?token=${encodeURIComponent(token)}` : undefined;
  const text = [
    `You have been invited to join ${mail.orgName} on the Integration Hub as ${mail.role}.`,
    '',
    link ? `Accept the invitation: ${link}` : 'Accept the invitation with this token:',
    link ? '' : `  ${token}`,
    link ? '' : 'for example: hub invitations accept <token> --name "<your name>"',
    `The invitation expires at ${mail.expiresAt} and can be used once.`,
    'If you did not expect it, ignore this email: nothing happens until it is accepted.',
  ]
    .filter((line, i, all) => !(line === '' && all[i - 1] === ''))
    .join('\n');
  return { to: mail.email, subject: `You are invited to ${mail.orgName} on the Integration Hub`, text };
}

/**
 * Sends the invitation email an outbox item holds. At-least-once: a redelivered event finds the
 * email marked sent and does nothing; a crash between sending and marking sends it twice, which
 * is harmless (the same token). Once sent, the encrypted token is removed from the table.
 */
export function makeSendInvitationMail(deps: {
  invitations: InvitationStore;
  cipher: SecretCipher;
  mailer: Mailer;
  config: MailConfig;
  clock: Clock;
}) {
  return async (event: CanonicalEvent): Promise<MailOutcome> => {
    const mailId = event.data.id;
    if (typeof mailId !== 'string') throw new Error(`Event ${event.id} names no invitation email`);
    const mail = await deps.invitations.getMail(event.tenantId, mailId);
    // Removed by its TTL or by the org's purge: there is no one left to send it to.
    if (!mail) return 'gone';
    if (mail.sentAt !== null || mail.tokenCiphertext === null) return 'already-sent';
    const now = deps.clock.now();
    if (new Date(mail.expiresAt) <= now) {
      await deps.invitations.markMailSent(mail, now.toISOString());
      return 'expired';
    }
    const token = await deps.cipher.decrypt(
      mail.tokenCiphertext,
      invitationTokenContext(mail.orgId, mail.invitationId),
    );
    await deps.mailer.send(renderInvitation(mail, token, deps.config));
    await deps.invitations.markMailSent(mail, deps.clock.now().toISOString());
    return 'sent';
  };
}
