/** An email to one recipient, plain text. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Sends email: Amazon SES in AWS, a local capture mailbox on one machine. */
export interface Mailer {
  /** Resolves once the mail service has accepted the message. */
  send(message: MailMessage): Promise<{ messageId: string }>;
}
