/** An email to one recipient: plain text, and HTML when it has it. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** Extra headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Tags the mail service returns with its bounce and complaint events (SES message tags): the
   * org a message was sent for, so feedback suppresses the address in that org.
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Sends email: Amazon SES in AWS, a local capture mailbox on one machine. */
export interface Mailer {
  /** Resolves once the mail service has accepted the message. */
  send(message: MailMessage): Promise<{ messageId: string }>;
}
