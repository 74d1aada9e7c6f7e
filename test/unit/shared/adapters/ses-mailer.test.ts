import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { SesMailer } from '../../../../shared/adapters/ses/ses-mailer';

const ses = mockClient(SESv2Client);
const sent = () => ses.commandCalls(SendEmailCommand)[0]?.args[0].input;

beforeEach(() => {
  ses.reset();
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-msg-1' });
});

describe('the SES mailer', () => {
  it('sends HTML beside the text, the extra headers, the tags and the configuration set that reports feedback', async () => {
    const mailer = new SesMailer(new SESv2Client({}), 'hub@example.com', 'hub-mail');
    const out = await mailer.send({
      to: 'ada@example.com',
      subject: 'PR merged',
      text: 'PR #1 was merged',
      html: '<p>PR #1 was merged</p>',
      headers: {
        'List-Unsubscribe': '<https://hub.example.com/unsubscribe?token=t>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      tags: { orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA' },
    });
    expect(out).toEqual({ messageId: 'ses-msg-1' });
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: 'hub@example.com',
      Destination: { ToAddresses: ['ada@example.com'] },
      ConfigurationSetName: 'hub-mail',
      EmailTags: [{ Name: 'orgId', Value: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA' }],
      Content: {
        Simple: {
          Subject: { Data: 'PR merged', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'PR #1 was merged', Charset: 'UTF-8' },
            Html: { Data: '<p>PR #1 was merged</p>', Charset: 'UTF-8' },
          },
          Headers: [
            { Name: 'List-Unsubscribe', Value: '<https://hub.example.com/unsubscribe?token=t>' },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
    });
  });

  it('sends a plain-text message as before: no HTML part, headers, tags or configuration set', async () => {
    await new SesMailer(new SESv2Client({}), 'hub@example.com').send({
      to: 'ada@example.com',
      subject: 'You are invited',
      text: 'Accept with this token',
    });
    expect(sent()).toEqual({
      FromEmailAddress: 'hub@example.com',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'You are invited', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Accept with this token', Charset: 'UTF-8' } },
        },
      },
    });
  });

  it('refuses a tag SES would refuse, naming it, without sending', async () => {
    const mailer = new SesMailer(new SESv2Client({}), 'hub@example.com', 'hub-mail');
    await expect(
      mailer.send({ to: 'ada@example.com', subject: 's', text: 't', tags: { 'org id': 'org_1' } }),
    ).rejects.toThrow(/"org id"/);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
