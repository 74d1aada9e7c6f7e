import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Mailer, MailMessage } from '../../ports/mailer';

/** What SES accepts in a message tag's name and value. */
const TAG_TEXT = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Sends through SES v2 from the hub's verified address: plain text and HTML, the message's extra
 * headers (List-Unsubscribe), and its tags, with the configuration set whose event destination
 * publishes bounces and complaints (tags included) to the default event bus.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(message: MailMessage): Promise<{ messageId: string }> {
    const tags = Object.entries(message.tags ?? {});
    for (const [name, value] of tags) {
      // SES would refuse the whole message; say which tag, before sending.
      if (!TAG_TEXT.test(name) || !TAG_TEXT.test(value))
        throw new Error(
          `Mail tag ${JSON.stringify(name)}: SES allows only letters, digits, _ and - (1 to 256)`,
        );
    }
    const headers = Object.entries(message.headers ?? {});
    const out = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: message.text, Charset: 'UTF-8' },
              ...(message.html === undefined ? {} : { Html: { Data: message.html, Charset: 'UTF-8' } }),
            },
            ...(headers.length > 0 ? { Headers: headers.map(([Name, Value]) => ({ Name, Value })) } : {}),
          },
        },
        ...(tags.length > 0 ? { EmailTags: tags.map(([Name, Value]) => ({ Name, Value })) } : {}),
        ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
      }),
    );
    if (!out.MessageId) throw new Error('SES returned no message id');
    return { messageId: out.MessageId };
  }
}
