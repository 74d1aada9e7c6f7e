import type { SQSRecord } from 'aws-lambda';
import type { AuditRecord } from '../../../shared/audit/audit-record';
import { onceAuditId } from '../../../shared/audit/audit-record';
import {
  DependencyUnavailableError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../../shared/errors';
import type { StoredDeadLetter } from '../../../shared/queues/dead-letter';
import { withFailurePolicy } from '../../../shared/queues/queue-worker';
import type { Org } from '../../../shared/tenancy/org';
import { OrgSettingsSchema } from '../../../shared/tenancy/org';

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

describe('workers do no work for an org that is not active', () => {
  const orgWith = (id: string, status: Org['status'], statusChangedAt: string): Org => ({
    id,
    name: 'Paused Co',
    slug: `paused-${id.slice(-6).toLowerCase()}`,
    status,
    statusChangedAt,
    plan: 'team',
    settings: OrgSettingsSchema.parse({}),
    createdAt: '2026-01-01T00:00:00.000Z',
  });

  function gated(orgs: Map<string, Org | null>, queue = 'sync') {
    const handled: string[] = [];
    const audited: AuditRecord[] = [];
    const handle = withFailurePolicy(
      {
        queue,
        deadLetters: { park: async () => undefined },
        queues: { delay: async () => undefined },
        audit: { append: async (r) => void audited.push(r) },
        clock: { now: () => new Date('2026-11-27T10:00:00Z') },
        tenants: {
          get: async (orgId) => {
            const org = orgs.get(orgId);
            if (org === undefined) throw new DependencyUnavailableError('DynamoDB: throttled');
            return org;
          },
        },
      },
      async (r) => void handled.push(r.messageId),
    );
    return { handle, handled, audited };
  }
  const message = (id: string, body: unknown): SQSRecord => ({
    ...record({}),
    messageId: id,
    body: JSON.stringify(body),
  });
  const busEvent = (orgId: string, id: string) =>
    message(id, { detail: { ...event, id: `evt_${id}`, tenantId: orgId } });

  it("acknowledges a suspended org's messages of every shape without work, with one audit record for all", async () => {
    const orgId = 'org_01JD3Q4ZK8M7X2V9N6B5C4SUS1';
    const w = gated(new Map([[orgId, orgWith(orgId, 'suspended', '2026-11-27T09:00:00.000Z')]]));
    const scanPage = message('scan', {
      detail: { id: 'evt_scan', type: 'sync.scan', scan: { orgId, jobId: 'job_1', mappingId: 'map_1' } },
    });
    const fanOut = message('fan-out', { orgId, mappingId: 'map_1' });
    for (const m of [busEvent(orgId, 'a'), busEvent(orgId, 'b'), scanPage, fanOut, busEvent(orgId, 'c')])
      await expect(w.handle(m)).resolves.toBeUndefined();
    expect(w.handled).toEqual([]);
    expect(w.audited).toEqual([
      expect.objectContaining({
        action: 'org.work_skipped',
        orgId,
        actor: expect.objectContaining({ type: 'system' }),
        after: { status: 'suspended', since: '2026-11-27T09:00:00.000Z', queue: 'sync' },
      }),
    ]);
  });

  it('does the work again once the org is active, and audits a later suspension anew', async () => {
    const orgId = 'org_01JD3Q4ZK8M7X2V9N6B5C4SUS2';
    const orgs = new Map<string, Org | null>([
      [orgId, orgWith(orgId, 'suspended', '2026-11-27T08:00:00.000Z')],
    ]);
    const w = gated(orgs);
    await w.handle(busEvent(orgId, 'a'));
    orgs.set(orgId, orgWith(orgId, 'active', '2026-11-27T08:30:00.000Z'));
    await w.handle(busEvent(orgId, 'b'));
    orgs.set(orgId, orgWith(orgId, 'suspended', '2026-11-27T09:00:00.000Z'));
    await w.handle(busEvent(orgId, 'c'));
    await w.handle(busEvent(orgId, 'd'));
    expect(w.handled).toEqual(['b']);
    expect(w.audited.map((r) => r.after?.since)).toEqual([
      '2026-11-27T08:00:00.000Z',
      '2026-11-27T09:00:00.000Z',
    ]);
    // Another environment derives the same record id, so the trail keeps one record per suspension.
    expect(new Set(w.audited.map((r) => r.id)).size).toBe(2);
    expect(w.audited[1]?.id).toBe(
      onceAuditId('2026-11-27T09:00:00.000Z', `work-skipped#${orgId}#suspended#2026-11-27T09:00:00.000Z`),
    );
  });

  it("skips a deleted org's work, and a purged org's without adding to its trail", async () => {
    const deleted = 'org_01JD3Q4ZK8M7X2V9N6B5C4DEL1';
    const purged = 'org_01JD3Q4ZK8M7X2V9N6B5C4DEL2';
    const w = gated(
      new Map<string, Org | null>([
        [deleted, orgWith(deleted, 'deleted', '2026-11-20T00:00:00.000Z')],
        [purged, null],
      ]),
      'events',
    );
    await w.handle(busEvent(deleted, 'a'));
    await w.handle(busEvent(purged, 'b'));
    expect(w.handled).toEqual([]);
    expect(w.audited).toEqual([
      expect.objectContaining({ orgId: deleted, after: expect.objectContaining({ status: 'deleted' }) }),
    ]);
  });

  it("keeps a suspended or deleted org's message where the queue keeps them, and a purged org's not at all", async () => {
    const suspended = 'org_01JD3Q4ZK8M7X2V9N6B5C4KEP1';
    const deleted = 'org_01JD3Q4ZK8M7X2V9N6B5C4KEP2';
    const purged = 'org_01JD3Q4ZK8M7X2V9N6B5C4KEP3';
    const kept: string[] = [];
    const orgs = new Map<string, Org | null>([
      [suspended, orgWith(suspended, 'suspended', '2026-11-27T09:00:00.000Z')],
      [deleted, orgWith(deleted, 'deleted', '2026-11-27T09:00:00.000Z')],
      [purged, null],
    ]);
    const handled: string[] = [];
    let failKeeping = false;
    const handle = withFailurePolicy(
      {
        queue: 'deliveries',
        deadLetters: { park: async () => undefined },
        queues: { delay: async () => undefined },
        audit: { append: async () => undefined },
        clock: { now: () => new Date('2026-11-27T10:00:00Z') },
        tenants: { get: async (orgId) => orgs.get(orgId) ?? null },
        keepInactive: async (r) => {
          if (failKeeping) throw new DependencyUnavailableError('DynamoDB: throttled');
          kept.push(r.messageId);
        },
      },
      async (r) => void handled.push(r.messageId),
    );
    const order = (id: string, orgId: string) => message(id, { orgId, messageId: `msg_${id}`, attempt: 0 });
    await handle(order('s', suspended));
    await handle(order('d', deleted));
    await handle(order('p', purged));
    expect(kept).toEqual(['s', 'd']);
    expect(handled).toEqual([]);
    // Not kept: not acknowledged either, so SQS brings it back.
    failKeeping = true;
    await expect(handle(order('s2', suspended))).rejects.toBeInstanceOf(DependencyUnavailableError);
    orgs.set(suspended, orgWith(suspended, 'active', '2026-11-27T10:00:00.000Z'));
    await handle(order('s3', suspended));
    expect(handled).toEqual(['s3']);
  });

  it('retries a message whose org cannot be read just now, without doing its work', async () => {
    const w = gated(new Map());
    await expect(w.handle(busEvent(ORG, 'a'))).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(w.handled).toEqual([]);
  });
});
