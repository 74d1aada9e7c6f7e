import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { makeHandler as makeStoreEvent } from '../../functions/store-event/handler';
import { DynamoDbAuditStore } from '../../shared/adapters/dynamodb/dynamodb-audit-store';
import { DynamoDbDeadLetterStore } from '../../shared/adapters/dynamodb/dynamodb-dead-letter-store';
import { DynamoDbEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { auditBySystem } from '../../shared/audit/audit-record';
import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { newId } from '../../shared/ids';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { TenantDirectory } from '../../shared/tenancy/tenant-directory';
import { makeUpdateOrg } from '../../shared/tenancy/update-org';
import { lambdaContext, platformAdmin } from '../support/api-events';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-ret', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };
const DAY_S = 86_400;
const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

const record = (messageId: string, body: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1' },
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hub-events',
  }) as unknown as SQSRecord;
const envelope = (detail: unknown) =>
  JSON.stringify({
    version: '0',
    id: 'x',
    'detail-type': 't',
    source: 'integration-hub.generic',
    time: 't',
    detail,
  });

/** The events worker as deployed: the failure policy, and the message's org read through the tenant directory. */
function eventsWorker(orgs: DynamoDbOrgStore) {
  return makeStoreEvent(new DynamoDbEventStore(aws.docs, aws.tables.domainTable), {
    queue: 'events',
    deadLetters: new DynamoDbDeadLetterStore(aws.docs, aws.tables.domainTable),
    queues: { delay: async () => undefined },
    audit: new DynamoDbAuditStore(aws.docs, aws.tables),
    clock,
    tenants: new TenantDirectory(orgs, 0),
  });
}

const items = async (table: string, pk: string) =>
  (
    await aws.docs.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    )
  ).Items ?? [];
const eventItem = async (event: CanonicalEvent) =>
  (
    await aws.docs.send(
      new GetCommand({
        TableName: aws.tables.domainTable,
        Key: { PK: `T#${event.tenantId}#EVT`, SK: event.id },
      }),
    )
  ).Item;

describe("data expires by the org's retention", () => {
  it('gives events and dead letters the retention from their write, audit records at least a year, and a change applies to new items', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Brief', slug: 'brief-ret', settings: { dataRetentionDays: 400 } },
      platformAdmin,
      request,
    );
    const worker = eventsWorker(orgs);
    const early = aCanonicalEvent({ tenantId: org.id });
    await worker({ Records: [record('e1', envelope(early))] } as SQSEvent, lambdaContext());
    expect((await eventItem(early))?.expiresAt).toBe(epoch(early.receivedAt) + 400 * DAY_S);

    await makeUpdateOrg({ orgs, clock })(
      org.id,
      { settings: { dataRetentionDays: 40 } },
      platformAdmin,
      request,
    );
    const late = aCanonicalEvent({ tenantId: org.id });
    const result = await worker(
      {
        Records: [
          record('e2', envelope(late)),
          // Not an event: parked in the org's dead letters, whole.
          record('bad', JSON.stringify({ detail: { tenantId: org.id, id: 'evt_bad' } })),
        ],
      } as SQSEvent,
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await eventItem(late))?.expiresAt).toBe(epoch(late.receivedAt) + 40 * DAY_S);
    // The change applies to new items: the event stored before it keeps its expiry.
    expect((await eventItem(early))?.expiresAt).toBe(epoch(early.receivedAt) + 400 * DAY_S);
    const [letter] = await items(aws.tables.domainTable, `T#${org.id}#DEADLETTER`);
    expect(letter?.expiresAt).toBe(epoch(String(letter?.parkedAt)) + 40 * DAY_S);

    // Audit records: the retention when written, and never under a year.
    const trail = await items(aws.tables.auditTable, `T#${org.id}#AUDIT`);
    const created = trail.find((i) => i.action === 'org.created');
    expect(created?.expiresAt).toBe(epoch(String(created?.occurredAt)) + 400 * DAY_S);
    await new DynamoDbAuditStore(aws.docs, aws.tables).append(
      auditBySystem({
        action: 'test.after',
        actor: 't',
        orgId: org.id,
        targets: [],
        requestId: 'r',
        at: new Date(),
      }),
    );
    const after = (await items(aws.tables.auditTable, `T#${org.id}#AUDIT`)).find(
      (i) => i.action === 'test.after',
    );
    expect(after?.expiresAt).toBe(epoch(String(after?.occurredAt)) + 365 * DAY_S);
  });

  it('keeps audit records seven years by default, and what belongs to an org it cannot read as long as any org may keep it', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Plain', slug: 'plain-ret' },
      platformAdmin,
      request,
    );
    const created = (await items(aws.tables.auditTable, `T#${org.id}#AUDIT`)).find(
      (i) => i.action === 'org.created',
    );
    expect(created?.expiresAt).toBe(epoch(String(created?.occurredAt)) + 2555 * DAY_S);
    // Never read here: the longest retention an org may choose, so nothing goes before its time.
    const unknown = newId('org');
    const event = aCanonicalEvent({ tenantId: unknown });
    await new DynamoDbEventStore(aws.docs, aws.tables.domainTable).put(event);
    expect((await eventItem(event))?.expiresAt).toBe(epoch(event.receivedAt) + 3650 * DAY_S);
  });
});
