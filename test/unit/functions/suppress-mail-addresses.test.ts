import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { makeHandler } from '../../../functions/suppress-mail-addresses/handler';
import type { MailFeedback } from '../../../shared/notify/email/suppressions';
import { lambdaContext } from '../../support/api-events';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hub-mailFeedback',
  awsRegion: 'us-east-1',
});

const bounce = (bounceType: string, address: string) =>
  JSON.stringify({
    version: '0',
    id: 'e',
    'detail-type': 'Email Bounced',
    source: 'aws.ses',
    detail: {
      eventType: 'Bounce',
      mail: { messageId: `ses-${address}`, tags: { orgId: [ORG] } },
      bounce: { bounceType, bouncedRecipients: [{ emailAddress: address }] },
    },
  });

describe('the mail feedback worker', () => {
  it('suppresses what a permanent bounce names, acknowledges a transient one, and reports only the unreadable record failed', async () => {
    const handled: MailFeedback[] = [];
    const handler = makeHandler(async (feedback) => {
      handled.push(feedback);
      return feedback.addresses.length;
    });
    const event: SQSEvent = {
      Records: [
        record('1', bounce('Permanent', 'ada@example.com')),
        record('2', '{not json'),
        record('3', bounce('Transient', 'bo@example.com')),
      ],
    };
    const out = await handler(event, lambdaContext());
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(handled).toEqual([
      {
        orgId: ORG,
        messageId: 'ses-ada@example.com',
        reason: 'bounce',
        detail: null,
        addresses: ['ada@example.com'],
      },
    ]);
  });

  it('fails a record whose suppression fails, so SQS redelivers it (the whole invocation when all fail)', async () => {
    const handler = makeHandler(async (feedback) => {
      if (feedback.addresses.includes('bo@example.com')) throw new Error('throttled');
      return 1;
    });
    const mixed = await handler(
      {
        Records: [
          record('8', bounce('Permanent', 'ada@example.com')),
          record('9', bounce('Permanent', 'bo@example.com')),
        ],
      },
      lambdaContext(),
    );
    expect(mixed).toEqual({ batchItemFailures: [{ itemIdentifier: '9' }] });
    await expect(
      handler({ Records: [record('9', bounce('Permanent', 'bo@example.com'))] }, lambdaContext()),
    ).rejects.toThrow('All records failed');
  });
});
