import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { CanonicalEvent } from '../../../shared/events/canonical-event';
import { claimCheck } from '../../../shared/events/claim-check';
import type { ClaimCheckStore } from '../../../shared/ports/claim-check-store';
import type { QueueWorkerDeps } from '../../../shared/queues/queue-worker';
import type { PushOutcome } from '../../../shared/realtime/push-events';
import type { Org } from '../../../shared/tenancy/org';
import { OrgSchema } from '../../../shared/tenancy/org';
import { lambdaContext } from '../../support/api-events';
import { aCanonicalEvent } from '../../support/builders';

const ACTIVE = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const SUSPENDED = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E3';

let makeHandler: typeof import('../../../functions/push-realtime-events/handler').makeHandler;
beforeAll(async () => {
  // The module builds its production adapters at init; the Management API endpoint is one of them.
  process.env.REALTIME_ENDPOINT = 'https://abc.execute-api.us-east-1.amazonaws.com/v1';
  ({ makeHandler } = await import('../../../functions/push-realtime-events/handler'));
});

const org = (id: string, status: string): Org =>
  OrgSchema.parse({
    id,
    name: id,
    slug: id.toLowerCase(),
    status,
    createdAt: '2026-11-01T00:00:00.000Z',
    settings: {},
  });

const record = (messageId: string, detail: unknown): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body: JSON.stringify({
    version: '0',
    id: 'x',
    'detail-type': 'd',
    source: 'integration-hub.generic',
    time: 't',
    detail,
  }),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hub-realtime',
  awsRegion: 'us-east-1',
});

function failures(): QueueWorkerDeps & { audited: unknown[] } {
  const audited: unknown[] = [];
  return {
    queue: 'realtime',
    audited,
    deadLetters: { park: async () => undefined },
    queues: { delay: async () => undefined },
    audit: {
      append: async (r) => {
        audited.push(r);
      },
    },
    clock: { now: () => new Date() },
    tenants: { get: async (id) => (id === ACTIVE ? org(ACTIVE, 'active') : org(SUSPENDED, 'suspended')) },
  };
}

/** An in-memory claim store, checked as the bucket's is (by key and hash). */
function claims(): ClaimCheckStore {
  const objects = new Map<string, string>();
  return {
    put: async (tenantId, name, body) => {
      const key = `T#${tenantId}/${name}`;
      objects.set(key, body);
      return { key, bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
    },
    get: async (key) => objects.get(key) ?? '',
    purgeTenant: async () => ({ removed: 0, done: true }),
  };
}

describe('push-realtime-events worker', () => {
  it('pushes each event, reads a claim-checked one back whole, and skips a suspended org', async () => {
    const pushed: CanonicalEvent[] = [];
    const push = async (e: CanonicalEvent): Promise<PushOutcome> => {
      pushed.push(e);
      return { sent: 1, gone: 0, failed: 0 };
    };
    const store = claims();
    const big = aCanonicalEvent({ tenantId: ACTIVE, data: { body: 'x'.repeat(300_000) } });
    const small = aCanonicalEvent({ tenantId: ACTIVE });
    const handler = makeHandler(push, failures(), store);
    const result = await handler(
      {
        Records: [
          record('m1', small),
          record('m2', await claimCheck(big, store)),
          record('m3', aCanonicalEvent({ tenantId: SUSPENDED })),
        ],
      } as SQSEvent,
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(pushed.map((e) => e.id)).toEqual([small.id, big.id]);
    expect(pushed[1]?.data).toEqual(big.data);
  });

  it('reports only the record whose connections could not be read, for a retry', async () => {
    const failing = aCanonicalEvent({ tenantId: ACTIVE });
    const push = async (e: CanonicalEvent): Promise<PushOutcome> => {
      if (e.id === failing.id) throw new Error('ProvisionedThroughputExceededException');
      return { sent: 0, gone: 0, failed: 0 };
    };
    const handler = makeHandler(push, failures(), claims());
    const result = await handler(
      { Records: [record('ok', aCanonicalEvent({ tenantId: ACTIVE })), record('bad', failing)] } as SQSEvent,
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });
});
