import type { SQSRecord } from 'aws-lambda';
import type { AuditRecord } from '../../../shared/audit/audit-record';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../../shared/errors';
import type { StoredDeadLetter } from '../../../shared/queues/dead-letter';
import { withFailurePolicy } from '../../../shared/queues/queue-worker';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const record = (detail: unknown, receives = '1'): SQSRecord =>
  ({
    messageId: 'm-1',
    receiptHandle: 'rh-1',
    body: JSON.stringify({ detail }),
    attributes: { ApproximateReceiveCount: receives },
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hub-events',
  }) as unknown as SQSRecord;
const event = {
  id: 'evt_1',
  type: 'work_item.updated',
  tenantId: ORG,
  source: { provider: 'jira', connectionId: 'con_1' },
};

function worker(failWith: unknown) {
  const parked: StoredDeadLetter[] = [];
  const delays: number[] = [];
  const audited: AuditRecord[] = [];
  const attention: string[] = [];
  const handle = withFailurePolicy(
    {
      queue: 'events',
      deadLetters: { park: async (l) => void parked.push(l) },
      queues: { delay: async (_arn, _rh, seconds) => void delays.push(seconds) },
      audit: { append: async (r) => void audited.push(r) },
      clock: { now: () => new Date('2026-11-27T10:00:00Z') },
      markNeedsAttention: async (orgId, connectionId, reason) =>
        void attention.push(`${orgId}/${connectionId}: ${reason}`),
    },
    async () => {
      throw failWith;
    },
  );
  return { handle, parked, delays, audited, attention };
}

describe('workers apply the failure policy to each message', () => {
  it("parks a message that keeps failing in its org's dead letters on the queue's last receive, not in the DLQ", async () => {
    const w = worker(new ProviderUnavailableError('Jira: 503'));
    await expect(w.handle(record(event, '4'))).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(w.parked).toEqual([]);
    // The events queue allows five receives.
    await expect(w.handle(record(event, '5'))).resolves.toBeUndefined();
    expect(w.parked).toEqual([
      expect.objectContaining({
        orgId: ORG,
        queue: 'events',
        attempts: 5,
        reason: expect.stringMatching(/^Gave up after 5 attempts: ProviderUnavailableError: Jira: 503/),
      }),
    ]);
  });

  it('puts a rate-limited message back for the reset time and reports it failed', async () => {
    const w = worker(new ProviderRateLimitedError('429', 60));
    await expect(w.handle(record(event))).rejects.toBeInstanceOf(ProviderRateLimitedError);
    expect(w.delays).toEqual([60]);
    expect(w.parked).toEqual([]);
  });

  it("parks a malformed message in its org's dead letters with the reason, and takes it off the queue", async () => {
    const w = worker(new ValidationError('no issue key'));
    await expect(w.handle(record(event, '3'))).resolves.toBeUndefined();
    expect(w.parked).toEqual([
      expect.objectContaining({
        orgId: ORG,
        queue: 'events',
        attempts: 3,
        eventId: 'evt_1',
        eventType: 'work_item.updated',
        reason: expect.stringContaining('no issue key'),
        body: JSON.stringify({ detail: event }),
      }),
    ]);
  });

  it('marks the connection when the provider refuses its credentials, and parks the message', async () => {
    const w = worker(new ProviderAuthError('401'));
    await w.handle(record(event));
    expect(w.attention).toEqual([`${ORG}/con_1: ProviderAuthError: 401`]);
    expect(w.parked).toHaveLength(1);
  });

  it('drops what the provider no longer has, with an audit record', async () => {
    const w = worker(new ProviderNotFoundError('gone'));
    await w.handle(record(event));
    expect(w.audited).toEqual([
      expect.objectContaining({
        action: 'queue.message_dropped',
        orgId: ORG,
        outcome: 'failed',
        actor: expect.objectContaining({ type: 'system' }),
      }),
    ]);
  });

  it('retries a message whose org cannot be read, so SQS parks it in the DLQ in the end', async () => {
    const w = worker(new ValidationError('not an event'));
    await expect(w.handle({ ...record(event), body: 'not json' })).rejects.toBeInstanceOf(ValidationError);
    expect(w.parked).toEqual([]);
  });
});
