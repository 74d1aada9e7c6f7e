import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Message } from '@aws-sdk/client-sqs';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { localCredentials } from '../../lib/local/dynamodb-local';
import type { FunctionHost } from '../../lib/local/function-host';
import { HttpGateway } from '../../lib/local/http-gateway';
import { LocalKms } from '../../lib/local/local-kms';
import { LocalMailbox, mailboxEndpoints } from '../../lib/local/local-mailbox';
import { localNames } from '../../lib/local/local-names';
import { ensureQueues } from '../../lib/local/sqs-local';
import { SesMailer } from '../../shared/adapters/ses/ses-mailer';
import { rules } from '../../shared/topology';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

/**
 * The local mail service end to end: the production SES adapter sends into the local mailbox, and
 * `POST /_local/mailbox/feedback` makes the local SES publish the bounce or complaint on the
 * default bus, where the router hands it to the mail feedback queue, in SES's event shape.
 */
let aws: LocalAws;
let emulator: AwsEmulator;
let gateway: HttpGateway;
let url: string;
let queues: Awaited<ReturnType<typeof ensureQueues>>;
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';

beforeAll(async () => {
  aws = await startLocalAws();
  queues = await ensureQueues(aws.sqs);
  const mailbox = new LocalMailbox(aws.dir);
  emulator = await startAwsEmulator({
    sqs: aws.sqs,
    queueUrls: Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.url])) as never,
    kms: new LocalKms(aws.dir),
    mailbox,
  });
  const events = new EventBridgeClient({ ...clientConfig(), endpoint: emulator.endpoint });
  // Only the local endpoints are served: no route reaches a function.
  gateway = new HttpGateway({} as FunctionHost, [
    ...mailboxEndpoints({
      mailbox,
      publish: async (entry) => {
        const out = await events.send(new PutEventsCommand({ Entries: [entry] }));
        expect(out.FailedEntryCount).toBe(0);
      },
    }),
  ]);
  url = `http://127.0.0.1:${await gateway.listen(0)}`;
});
afterAll(async () => {
  await gateway?.close();
  await emulator?.stop();
  await aws?.stop();
});

function clientConfig() {
  return { region: localNames.region, credentials: localCredentials };
}
const mailer = (configurationSet?: string) =>
  new SesMailer(
    new SESv2Client({ ...clientConfig(), endpoint: emulator.endpoint }),
    'hub@example.com',
    configurationSet,
  );
const notification = (to: string) => ({
  to,
  subject: 'PR #7 merged',
  text: 'PR #7 was merged',
  html: '<p>PR #7 was merged</p>',
  headers: {
    'List-Unsubscribe': '<https://hub.example.com/unsubscribe?token=t>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  tags: { orgId: ORG },
});
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
};

/** Every message the queue holds now, each received once. */
async function drain(queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

describe('the local mailbox', () => {
  it('keeps the HTML, the headers, the tags and the configuration set of what it captured', async () => {
    const { messageId } = await mailer(localNames.mailConfigurationSet).send(notification('ada@example.com'));
    const res = await fetch(`${url}/_local/mailbox?to=ada@example.com`);
    const { items } = (await res.json()) as { items: Record<string, unknown>[] };
    expect(items[0]).toMatchObject({
      messageId,
      to: ['ada@example.com'],
      text: 'PR #7 was merged',
      html: '<p>PR #7 was merged</p>',
      headers: notification('ada@example.com').headers,
      tags: { orgId: ORG },
      configurationSet: localNames.mailConfigurationSet,
    });
  });

  it('refuses a configuration set that does not exist, as SES does', async () => {
    await expect(mailer('no-such-set').send(notification('ada@example.com'))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });

  it('publishes a permanent bounce as SES does, on the default bus, to the mail feedback queue only', async () => {
    const { messageId } = await mailer(localNames.mailConfigurationSet).send(notification('bob@example.com'));
    const answer = await post('/_local/mailbox/feedback', { to: 'bob@example.com', kind: 'bounce' });
    expect(answer.status).toBe(202);

    const delivered = (await drain(queues.mailFeedback.url)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(delivered).toHaveLength(1);
    const [event] = delivered;
    expect(event).toMatchObject({
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      account: localNames.account,
      resources: [expect.stringContaining(`configuration-set/${localNames.mailConfigurationSet}`)],
      detail: {
        eventType: 'Bounce',
        mail: {
          messageId,
          source: 'hub@example.com',
          destination: ['bob@example.com'],
          commonHeaders: { subject: 'PR #7 merged' },
          tags: { orgId: [ORG], 'ses:configuration-set': [localNames.mailConfigurationSet] },
        },
        bounce: {
          bounceType: 'Permanent',
          bouncedRecipients: [expect.objectContaining({ emailAddress: 'bob@example.com' })],
        },
      },
    });
    expect(rules.mailFeedback.pattern['detail-type']).toContain(event['detail-type']);
    // Feedback from the mail service is no canonical event: the hub bus's rules never see it.
    const notified = (await drain(queues.notify.url)).map((m) => String(m.Body));
    expect(notified.filter((b) => b.includes(messageId))).toEqual([]);
  });

  it('publishes a complaint about the message named, with its recipient', async () => {
    const first = await mailer(localNames.mailConfigurationSet).send(notification('cy@example.com'));
    await mailer(localNames.mailConfigurationSet).send(notification('cy@example.com'));
    const answer = await post('/_local/mailbox/feedback', {
      to: 'cy@example.com',
      kind: 'complaint',
      messageId: first.messageId,
    });
    expect(answer.status).toBe(202);
    const [event, ...more] = (await drain(queues.mailFeedback.url)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      source: 'aws.ses',
      'detail-type': 'Email Complaint Received',
      detail: {
        eventType: 'Complaint',
        mail: { messageId: first.messageId, tags: { orgId: [ORG] } },
        complaint: { complainedRecipients: [{ emailAddress: 'cy@example.com' }] },
      },
    });
    expect(rules.mailFeedback.pattern['detail-type']).toContain(event['detail-type']);
  });

  it('refuses feedback it cannot give, saying why, and publishes nothing', async () => {
    await mailer().send(notification('dee@example.com'));
    const cases = [
      [{ to: 'dee@example.com', kind: 'bounced' }, 400, /kind/],
      [{ to: 'nobody@example.com', kind: 'bounce' }, 404, /nobody@example.com/],
      [{ to: 'dee@example.com', kind: 'bounce', messageId: 'not-one-of-hers' }, 404, /not-one-of-hers/],
      // SES publishes feedback only through a configuration set's event destination.
      [{ to: 'dee@example.com', kind: 'complaint' }, 409, /configuration set/],
    ] as const;
    for (const [body, status, detail] of cases) {
      const answer = await post('/_local/mailbox/feedback', body);
      expect({ body, status: answer.status, type: answer.type }).toEqual({
        body,
        status,
        type: 'application/problem+json',
      });
      expect(answer.body.detail).toMatch(detail);
    }
    expect(await drain(queues.mailFeedback.url)).toEqual([]);
  });
});
