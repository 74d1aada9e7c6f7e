import { ValidationError } from '../../../../../shared/errors';
import type { MailSuppressionStore } from '../../../../../shared/notify/email/ports';
import { makeListSuppressions, parseMailFeedback } from '../../../../../shared/notify/email/suppressions';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

/** SES event publishing to EventBridge: the event record is the detail (AWS's documented example, trimmed). */
function sesEvent(detailType: 'Email Bounced' | 'Email Complaint Received', detail: Record<string, unknown>) {
  return {
    version: '0',
    id: 'b4a5e4e4-0000-0000-0000-000000000000',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '123456789012',
    time: '2026-12-01T10:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:ses:eu-west-1:123456789012:configuration-set/hub'],
    detail: {
      mail: {
        timestamp: '2026-12-01T09:59:00.000Z',
        source: 'hub@example.com',
        messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
        destination: ['ada@example.com'],
        tags: { orgId: [ORG], 'ses:configuration-set': ['hub'] },
      },
      ...detail,
    },
  };
}

describe('mail feedback from SES', () => {
  it('suppresses the recipients of a permanent bounce in the org the message was tagged with', () => {
    const feedback = parseMailFeedback(
      sesEvent('Email Bounced', {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'Ada@Example.com', action: 'failed', status: '5.1.1' }],
          timestamp: '2026-12-01T10:00:00.000Z',
          feedbackId: 'x',
        },
      }),
    );
    expect(feedback).toEqual({
      orgId: ORG,
      messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      reason: 'bounce',
      detail: 'General',
      addresses: ['ada@example.com'],
    });
  });

  it('suppresses the recipients of a complaint', () => {
    const feedback = parseMailFeedback(
      sesEvent('Email Complaint Received', {
        eventType: 'Complaint',
        complaint: {
          complainedRecipients: [{ emailAddress: 'bo@example.com' }],
          complaintFeedbackType: 'abuse',
          timestamp: '2026-12-01T10:00:00.000Z',
          feedbackId: 'y',
        },
      }),
    );
    expect(feedback).toMatchObject({ reason: 'complaint', detail: 'abuse', addresses: ['bo@example.com'] });
  });

  it('suppresses nothing for a transient bounce, or mail tagged with no org', () => {
    const transient = sesEvent('Email Bounced', {
      eventType: 'Bounce',
      bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'ada@example.com' }] },
    });
    expect(parseMailFeedback(transient)).toBeNull();
    const untagged = sesEvent('Email Bounced', {
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'ada@example.com' }] },
    });
    (untagged.detail.mail as { tags?: unknown }).tags = { orgId: ['not-an-org'] };
    expect(parseMailFeedback(untagged)).toBeNull();
  });

  it('refuses what is not SES feedback', () => {
    expect(() =>
      parseMailFeedback({ source: 'aws.ses', 'detail-type': 'Email Delivered', detail: {} }),
    ).toThrow(ValidationError);
    expect(() => parseMailFeedback('nope')).toThrow(ValidationError);
  });
});

describe('listing suppressed addresses', () => {
  const orgId = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
  const store = {
    list: async () => ({
      items: [
        {
          address: 'ada@example.com',
          reason: 'bounce' as const,
          detail: null,
          suppressedAt: '2026-12-01T00:00:00Z',
        },
      ],
      nextCursor: null,
    }),
  } as unknown as MailSuppressionStore;
  const member = (role: string) => ({
    kind: 'org_member' as const,
    type: 'api_key' as const,
    id: 'key_1',
    name: 'k',
    orgId,
    role,
  });

  it('masks each address for a caller who may only read notifications, not for one who manages them', async () => {
    const list = makeListSuppressions({ suppressions: store });
    expect((await list(orgId, { limit: 10 }, member('member'))).items[0]?.address).toBe('a***@example.com');
    expect((await list(orgId, { limit: 10 }, member('admin'))).items[0]?.address).toBe('ada@example.com');
  });
});
