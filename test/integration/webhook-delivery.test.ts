import { randomBytes } from 'node:crypto';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import { LOCAL_CLAIMS_BUCKET, startLocalS3 } from '../../lib/local/local-s3';
import { ensureQueues } from '../../lib/local/sqs-local';
import { DynamoDbAuditStore } from '../../shared/adapters/dynamodb/dynamodb-audit-store';
import { DynamoDbDeliveryStore } from '../../shared/adapters/dynamodb/dynamodb-delivery-store';
import { DynamoDbDueIndex } from '../../shared/adapters/dynamodb/dynamodb-due-index';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbUserStore } from '../../shared/adapters/dynamodb/dynamodb-user-store';
import { DynamoDbWebhookEndpointStore } from '../../shared/adapters/dynamodb/dynamodb-webhook-endpoint-store';
import { S3ClaimCheckStore } from '../../shared/adapters/s3/s3-claim-check-store';
import { SqsMessageQueues } from '../../shared/adapters/sqs/sqs-message-queues';
import type { RequestContext } from '../../shared/audit/audit-record';
import { auditChange } from '../../shared/audit/audit-record';
import { makeEgressFetch } from '../../shared/egress';
import { QuotaExceededError } from '../../shared/errors';
import { claimCheck, resolveClaim } from '../../shared/events/claim-check';
import { newId } from '../../shared/ids';
import { makeDeliver, RETRY_KIND } from '../../shared/notify/delivery/deliver';
import { makeDeliveryQueue } from '../../shared/notify/delivery/delivery-queue';
import { makeRunDueWork } from '../../shared/notify/delivery/due-work';
import type { DeliveryChannel, DeliveryOrder } from '../../shared/notify/delivery/ports';
import { makeMatcher } from '../../shared/notify/match/match';
import type { StoredEndpoint } from '../../shared/notify/webhooks/endpoint';
import type { WebhookEndpointStore } from '../../shared/notify/webhooks/endpoint-store';
import { checkEndpointHealth, HEALTH_KIND } from '../../shared/notify/webhooks/health';
import { makeManageEndpoints } from '../../shared/notify/webhooks/manage-endpoints';
import { makeWebhookChannel } from '../../shared/notify/webhooks/webhook-channel';
import type { MailMessage } from '../../shared/ports/mailer';
import type { SecretCipher } from '../../shared/ports/secret-cipher';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { member, platformAdmin } from '../support/api-events';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';
import { WebhookReceiver } from '../support/webhook-receiver';

let aws: LocalAws;
let queueUrls: Record<string, string>;
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  aws = await startLocalAws();
  const queues = await ensureQueues(aws.sqs);
  queueUrls = Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, q.url]));
}, 120_000);
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await aws?.stop();
});

const request: RequestContext = { requestId: 'req-wh', ip: '127.0.0.1', userAgent: 'jest' };
const DAY = 86_400_000;
/** One clock for the file, moving forward only: the due index's sweep cursor is one per kind, as in AWS. */
let now = new Date();

/** Binds a secret to its context, as KMS does: another endpoint's context cannot open it. */
const cipher: SecretCipher = {
  encrypt: async (plaintext, context) =>
    Buffer.from(JSON.stringify({ plaintext, context })).toString('base64'),
  decrypt: async (ciphertext, context) => {
    const sealed = JSON.parse(Buffer.from(ciphertext, 'base64').toString('utf8'));
    if (JSON.stringify(sealed.context) !== JSON.stringify(context)) throw new Error('context mismatch');
    return sealed.plaintext;
  },
};

async function setup(plan: 'free' | 'team' = 'free', options: { attemptTimeoutMs?: number } = {}) {
  const clock = { now: () => now };
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const org = await makeCreateOrg({ orgs, clock })(
    { name: 'wh', slug: `wh-${newId('job').slice(-10).toLowerCase()}`, plan },
    platformAdmin,
    request,
  );
  const endpoints = new DynamoDbWebhookEndpointStore(aws.docs, aws.tables);
  const store = new DynamoDbDeliveryStore(aws.docs, aws.tables.domainTable, () => now);
  const audit = new DynamoDbAuditStore(aws.docs, aws.tables, aws.docs);
  // A table of its own per test: the index's sweep cursor (one per kind) starts with the test's clock.
  const dueTable = `due-${newId('job').slice(-12).toLowerCase()}`;
  await aws.ddb.send(
    new CreateTableCommand({
      TableName: dueTable,
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'SK', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const dueIndex = new DynamoDbDueIndex(aws.docs, dueTable, clock);
  const queues = new SqsMessageQueues(aws.sqs, queueUrls);
  const users = new DynamoDbUserStore(aws.docs, aws.tables);
  const mail: MailMessage[] = [];
  const mailer = {
    send: async (m: MailMessage) => {
      mail.push(m);
      return { messageId: `m${mail.length}` };
    },
  };
  const channel = makeWebhookChannel({
    endpoints,
    cipher,
    fetch: makeEgressFetch({ policy: { allowLoopback: true, allowedRanges: [] } }),
    dueIndex,
    audit,
    clock,
    // The 15 s bound made short, so a hanging endpoint's attempt ends within the test.
    ...(options.attemptTimeoutMs
      ? { timeoutSignal: () => AbortSignal.timeout(Number(options.attemptTimeoutMs)) }
      : {}),
  });
  const manage = makeManageEndpoints({ endpoints, deliveries: store, orgs, cipher, queues, audit, clock });
  const deliver = makeDeliver({
    store,
    channels: { webhook: channel as DeliveryChannel<never> },
    queues,
    dueIndex,
    clock,
    random: () => 0.5,
  });
  const deliveries = makeDeliveryQueue({ store, queues, clock });
  const runDueWork = makeRunDueWork({
    dueIndex,
    queues,
    clock,
    health: { endpoints, dueIndex, audit, clock, mailer, users },
  });
  const receiver = await new WebhookReceiver().start();
  receivers.push(receiver);
  const addEndpoint = async (extra: Record<string, unknown> = {}) => {
    const created = await manage.create(
      org.id,
      { url: receiver.url, eventTypes: ['*'], enabled: true, rateLimitPerSecond: 20, ...extra },
      member(org.id, 'admin'),
      request,
    );
    receiver.secrets.push(created.secret);
    return created;
  };
  const event = (type = 'custom.deploy.done') =>
    aCanonicalEvent({ id: newId('evt'), tenantId: org.id, type });
  return {
    org,
    clock,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    endpoints,
    store,
    audit,
    dueIndex,
    users,
    mail,
    manage,
    deliver,
    deliveries,
    runDueWork,
    /** Sweeps until the index has caught up with the clock (it walks a few hours per look). */
    sweep: async () => {
      const total = { retries: 0, health: {} as Record<string, number> };
      for (let i = 0; i < 8; i++) {
        const done = await runDueWork();
        total.retries += done.retries;
        for (const [k, v] of Object.entries(done.health)) total.health[k] = (total.health[k] ?? 0) + v;
      }
      return total;
    },
    receiver,
    addEndpoint,
    event,
  };
}

/**
 * The orders on the deliveries queue, taken off it: those visible now, or, with `atLeast`, waiting
 * (long polls) until that many (of `orgId`'s) have arrived — an order queued with a delay appears only after it.
 */
async function drainDeliveries(atLeast = 0, orgId?: string): Promise<{ body: Record<string, unknown> }[]> {
  const got: { body: Record<string, unknown> }[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const out = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrls.deliveries,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: got.length < atLeast ? 1 : 0,
      }),
    );
    if (!out.Messages?.length) {
      if (got.length >= atLeast || Date.now() > deadline) return got;
      continue;
    }
    for (const m of out.Messages) {
      const body = JSON.parse(String(m.Body)) as Record<string, unknown>;
      // An earlier test's delayed retry may surface now: with `orgId`, only this org's count.
      if (!orgId || body.orgId === orgId) got.push({ body });
    }
    await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrls.deliveries,
        Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: String(m.ReceiptHandle) })),
      }),
    );
  }
}

describe('webhook endpoints against DynamoDB Local', () => {
  it("counts endpoints against the plan's limit, keeps secrets encrypted, and gives the count back on delete", async () => {
    const hub = await setup('free');
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await hub.addEndpoint());
    await expect(hub.addEndpoint()).rejects.toBeInstanceOf(QuotaExceededError);
    const stored = await hub.endpoints.get(hub.org.id, String(created[0]?.id));
    expect(JSON.stringify(stored)).not.toContain(String(created[0]?.secret).slice(6));
    expect(
      (await hub.manage.list(hub.org.id)).items.every((e) => !('secrets' in e) && !('secret' in e)),
    ).toBe(true);
    await hub.manage.remove(hub.org.id, String(created[0]?.id), member(hub.org.id, 'admin'), request);
    await expect(hub.addEndpoint()).resolves.toHaveProperty('id');
  });

  /** The endpoint store, with `between` run once right after the first read (as a concurrent write lands). */
  const interleaved = (
    store: WebhookEndpointStore,
    between: () => Promise<unknown>,
  ): WebhookEndpointStore => {
    let pending: (() => Promise<unknown>) | null = between;
    return new Proxy(store, {
      get(target, prop) {
        if (prop === 'get')
          return async (orgId: string, endpointId: string) => {
            const read = await target.get(orgId, endpointId);
            const run = pending;
            pending = null;
            if (run) await run();
            return read;
          };
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };

  it('keeps a failure or a success recorded while a person changes the settings or rotates the secret', async () => {
    const hub = await setup('team');
    const ep = await hub.addEndpoint();
    const manageWith = (endpoints: WebhookEndpointStore) =>
      makeManageEndpoints({
        endpoints,
        deliveries: hub.store,
        orgs: new DynamoDbOrgStore(aws.docs, aws.tables),
        cipher,
        queues: new SqsMessageQueues(aws.sqs, queueUrls),
        audit: hub.audit,
        clock: hub.clock,
      });
    const admin = member(hub.org.id, 'admin');
    const failingAt = new Date(now.getTime() + 1_000);
    // The worker notes the endpoint failing between the PATCH's read and its write.
    await manageWith(
      interleaved(hub.endpoints, () => hub.endpoints.markFailing(hub.org.id, ep.id, failingAt)),
    ).update(hub.org.id, ep.id, { description: 'patched', rateLimitPerSecond: 5 }, admin, request);
    expect(await hub.endpoints.get(hub.org.id, ep.id)).toMatchObject({
      description: 'patched',
      rateLimitPerSecond: 5,
      failingSince: failingAt.toISOString(),
      version: 2,
    });
    // And a success lands between a rotation's read and its write.
    const succeededAt = new Date(now.getTime() + 2_000);
    const rotated = await manageWith(
      interleaved(hub.endpoints, () => hub.endpoints.markSucceeded(hub.org.id, ep.id, succeededAt)),
    ).rotateSecret(hub.org.id, ep.id, 3600, admin, request);
    const after = await hub.endpoints.get(hub.org.id, ep.id);
    expect(after).toMatchObject({ lastSuccessAt: succeededAt.toISOString(), version: 3 });
    expect(after?.failingSince).toBeUndefined();
    expect(after?.secrets).toHaveLength(2);
    expect(rotated.previousSecretExpiresAt).toBeDefined();
    // A stale version is still refused.
    await expect(
      hub.endpoints.saveSettings(
        { ...(after as StoredEndpoint), url: 'https://stale.example' },
        2,
        auditChange({
          action: 'webhook_endpoint.updated',
          principal: admin,
          orgId: hub.org.id,
          targets: [{ type: 'webhook_endpoint', id: ep.id }],
          request,
          at: now,
        }),
      ),
    ).resolves.toBe(false);
  });

  it('does not warn for a failing spell that a success ended between the check and its write', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    const since = new Date(now.getTime() - 4 * DAY - 60_000);
    await hub.endpoints.markFailing(hub.org.id, ep.id, since);
    const outcome = await checkEndpointHealth(
      {
        endpoints: interleaved(hub.endpoints, () => hub.endpoints.markSucceeded(hub.org.id, ep.id, now)),
        dueIndex: hub.dueIndex,
        audit: hub.audit,
        clock: hub.clock,
        mailer: { send: async () => ({ messageId: 'm' }) },
        users: hub.users,
      },
      hub.org.id,
      ep.id,
    );
    expect(outcome).toBe('unchanged');
    const stored = await hub.endpoints.get(hub.org.id, ep.id);
    expect(stored).toMatchObject({ lastSuccessAt: now.toISOString(), enabled: true });
    expect(stored?.failingSince).toBeUndefined();
    expect(stored?.warnedAt).toBeUndefined();
  });
});

describe('the delivery engine against DynamoDB Local and the SQS server', () => {
  beforeEach(async () => {
    await drainDeliveries();
  });

  it('makes one message per target however often an event is queued, and one order per message', async () => {
    const hub = await setup('team');
    const [a, b] = [await hub.addEndpoint(), await hub.addEndpoint()];
    const matcher = makeMatcher({
      endpoints: { listEnabled: async () => [a, b].map((e) => ({ id: e.id, eventTypes: e.eventTypes })) },
      deliveries: hub.deliveries,
      rules: {
        destinationsFor: async () => [
          { ruleId: 'nrule_1', destination: { kind: 'webhook_endpoint', endpointId: a.id } },
        ],
      },
    });
    const event = hub.event();
    expect(await matcher(event)).toEqual({ targets: 2, created: 2 });
    expect(await matcher(event)).toEqual({ targets: 2, created: 0 });
    const orders = await drainDeliveries();
    // The second matching found both messages never tried, so queued them again: harmless, as below.
    expect(orders.map((o) => o.body.orgId)).toEqual(Array(4).fill(hub.org.id));
    const outcomes = await Promise.all(orders.map((o) => hub.deliver(o.body as never)));
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(2);
    expect(new Set(hub.receiver.received.map((r) => r.id)).size).toBe(2);
    expect(hub.receiver.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
  });

  it('fans one event out to 1,000 endpoints: one message and one order each, queued in batches', async () => {
    const hub = await setup('team');
    const ids = Array.from({ length: 1_000 }, () => newId('ep'));
    const matcher = makeMatcher({
      endpoints: { listEnabled: async () => ids.map((id) => ({ id, eventTypes: ['*'] })) },
      deliveries: hub.deliveries,
    });
    const event = hub.event();
    const started = Date.now();
    expect(await matcher(event)).toEqual({ targets: 1_000, created: 1_000 });
    const took = Date.now() - started;
    const orders = await drainDeliveries(1_000);
    expect(new Set(orders.map((o) => o.body.messageId)).size).toBe(1_000);
    // A second matching of the same event makes no message; its untried ones are only queued again.
    expect(await matcher(event)).toEqual({ targets: 1_000, created: 0 });
    await drainDeliveries();
    process.stdout.write(`fan-out: 1,000 messages stored and queued in ${took} ms\n`);
  }, 120_000);

  it('schedules a failed attempt 5 s later on SQS, ignores a duplicate order, and notes the endpoint failing with its day-4 and day-5 checks', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const [order] = await drainDeliveries();
    hub.receiver.answer(500);
    expect(await hub.deliver(order?.body as never)).toBe('scheduled');
    // The same order again (SQS delivers at least once): no second attempt.
    expect(await hub.deliver(order?.body as never)).toBe('stale');
    expect(hub.receiver.received).toHaveLength(1);
    const message = await hub.store.getMessage(hub.org.id, String(order?.body.messageId));
    expect(message).toMatchObject({ status: 'scheduled', attempts: 1, reason: 'HTTP 500' });
    expect(Date.parse(String(message?.nextAttemptAt)) - Date.parse(String(message?.lastAttemptAt))).toBe(
      5_000,
    );
    // Queued with SQS's delay: it appears five seconds later.
    const [retry] = await drainDeliveries(1, hub.org.id);
    expect(retry?.body).toEqual({
      orgId: hub.org.id,
      messageId: message?.id,
      attempt: 1,
      eventId: message?.eventId,
    });
    const endpoint = await hub.endpoints.get(hub.org.id, ep.id);
    expect(endpoint?.failingSince).toBe(message?.lastAttemptAt);
    // Its day-4 check is indexed (the day-5 one, and what they do, are the health test's).
    const failingSince = Date.parse(String(endpoint?.failingSince));
    const checks = await hub.dueIndex.due(HEALTH_KIND, new Date(failingSince + 4 * DAY + 60_000), 100);
    expect(checks.map((c) => [c.ref, c.dueAt.getTime() - failingSince])).toEqual([[ep.id, 4 * DAY]]);
    expect(await hub.deliver(retry?.body as never)).toBe('delivered');
    expect(await hub.endpoints.get(hub.org.id, ep.id)).not.toHaveProperty('failingSince');
    const attempts = await hub.store.listAttempts(hub.org.id, ep.id, 'failed', { limit: 10 });
    expect(attempts.items.map((a) => a.statusCode)).toEqual([500]);
  });

  it('puts a long wait (Retry-After an hour) in the due index, and the sweep queues it when due', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const [order] = await drainDeliveries();
    hub.receiver.answer({ status: 429, headers: { 'retry-after': '3600' } });
    expect(await hub.deliver(order?.body as never)).toBe('scheduled');
    expect(await drainDeliveries()).toEqual([]);
    await hub.sweep();
    const mine = async () => (await drainDeliveries()).filter((o) => o.body.orgId === hub.org.id);
    expect(await mine()).toEqual([]);
    hub.advance(3_601_000);
    await hub.sweep();
    const [retry, ...more] = await mine();
    expect(more).toEqual([]);
    expect(retry?.body).toMatchObject({ messageId: order?.body.messageId, attempt: 1 });
    const left = await hub.dueIndex.due(RETRY_KIND, hub.clock.now(), 100);
    expect(left.filter((e) => e.orgId === hub.org.id)).toEqual([]);
  });

  it('puts an order over the endpoint rate limit back for the next free window it reserved, spending no attempt', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint({ rateLimitPerSecond: 1 });
    for (let i = 0; i < 3; i++)
      await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const orders = await drainDeliveries(3, hub.org.id);
    const now = Math.floor(hub.clock.now().getTime() / 1000);
    // The clock stands still: all three in the same one-second window.
    expect(await hub.deliver(orders[0]?.body as never)).toBe('delivered');
    expect(await hub.deliver(orders[1]?.body as never)).toBe('throttled');
    expect(await hub.deliver(orders[2]?.body as never)).toBe('throttled');
    expect(hub.receiver.received).toHaveLength(1);
    const held = await hub.store.getMessage(hub.org.id, String(orders[1]?.body.messageId));
    expect(held).toMatchObject({ status: 'pending', attempts: 0 });
    // Each back for its own window, one and two seconds on: no order comes back to poll again.
    const back = await drainDeliveries(2, hub.org.id);
    const bySlot = back
      .map((b) => b.body as { messageId: string; slot?: number })
      .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
    expect(bySlot.map((b) => b.slot)).toEqual([now + 1, now + 2]);
    expect(bySlot.map((b) => b.messageId)).toEqual([orders[1]?.body.messageId, orders[2]?.body.messageId]);
    hub.advance(1_000);
    expect(await hub.deliver(bySlot[0] as never)).toBe('delivered');
    hub.advance(1_000);
    expect(await hub.deliver(bySlot[1] as never)).toBe('delivered');
    expect(hub.receiver.received).toHaveLength(3);
  });

  it('keeps an endpoint that hangs from delaying a healthy one: the healthy one receives at once, the hanging one times out and is retried', async () => {
    const hub = await setup('team', { attemptTimeoutMs: 1_500 });
    const healthy = await hub.addEndpoint();
    const stuck = await new WebhookReceiver().start();
    receivers.push(stuck);
    // It takes the request and answers long after the attempt's bound.
    stuck.delayMs = 6_000;
    const hanging = await hub.manage.create(
      hub.org.id,
      { url: stuck.url, eventTypes: ['*'], enabled: true, rateLimitPerSecond: 20 },
      member(hub.org.id, 'admin'),
      request,
    );
    stuck.secrets.push(hanging.secret);
    const targets = [healthy, hanging].map((e) => ({ channel: 'webhook' as const, endpointId: e.id }));
    for (let i = 0; i < 3; i++) await hub.deliveries.enqueue(hub.event(), targets);
    const orders = await drainDeliveries(6, hub.org.id);
    // One batch, handled side by side as the deliveries worker does.
    const started = Date.now();
    const outcomes = Promise.all(orders.map((o) => hub.deliver(o.body as never)));
    let settled = false;
    void outcomes.then(() => {
      settled = true;
    });
    await hub.receiver.until((got) => got.length >= 3, 10_000);
    // The healthy endpoint has all three while the hanging one's attempts still wait on their timeout.
    expect(settled).toBe(false);
    const healthyAfter = Date.now() - started;
    await stuck.until((got) => got.length >= 3, 10_000);
    const results = await outcomes;
    const took = Date.now() - started;
    expect(took).toBeLessThan(5_000);
    const byEndpoint = new Map<string, string[]>();
    for (const [i, order] of orders.entries()) {
      const message = await hub.store.getMessage(hub.org.id, String(order.body.messageId));
      const target = message?.target.channel === 'webhook' ? message.target.endpointId : '';
      byEndpoint.set(target, [...(byEndpoint.get(target) ?? []), `${results[i]}:${message?.reason ?? ''}`]);
    }
    expect(byEndpoint.get(healthy.id)).toEqual(Array(3).fill('delivered:'));
    expect(byEndpoint.get(hanging.id)).toEqual(Array(3).fill('scheduled:timeout'));
    process.stdout.write(
      `head of line: healthy received in ${healthyAfter} ms; the batch ended in ${took} ms\n`,
    );
  }, 30_000);

  it('disables an endpoint answering 410 at once, audited, and drops what is queued for it after', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const orders = await drainDeliveries();
    hub.receiver.answer(410);
    expect(await hub.deliver(orders[0]?.body as never)).toBe('failed');
    expect(await hub.endpoints.get(hub.org.id, ep.id)).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/410/),
    });
    expect(await hub.deliver(orders[1]?.body as never)).toBe('dropped');
    expect(hub.receiver.received).toHaveLength(1);
    const trail = await hub.audit.list(hub.org.id, { action: 'webhook_endpoint.disabled' }, { limit: 10 });
    expect(trail.items).toHaveLength(1);
    // Both are kept for a recovery once the endpoint is enabled again: the failed one and the dropped one.
    expect((await hub.store.failedSince(hub.org.id, ep.id, new Date(0), 10)).sort()).toEqual(
      [orders[0]?.body.messageId, orders[1]?.body.messageId].sort(),
    );
  });

  it('keeps the messages dropped while an endpoint is disabled for recovery: enabled again and recovered, each is delivered once with its webhook-id', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    const since = new Date(hub.clock.now().getTime() - 60_000);
    for (let i = 0; i < 4; i++)
      await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const orders = (await drainDeliveries(4, hub.org.id)).map((o) => o.body as never as DeliveryOrder);
    const ids = orders.map((o) => o.messageId);
    // One has failed once and waits for its retry; the others have not been tried.
    hub.receiver.answer(500);
    expect(await hub.deliver(orders[1] as DeliveryOrder)).toBe('scheduled');
    hub.receiver.answer(410);
    expect(await hub.deliver(orders[0] as DeliveryOrder)).toBe('failed');
    // Disabled with three messages still due: each is dropped when its order comes.
    const due = [{ ...(orders[1] as DeliveryOrder), attempt: 1 }, orders[2], orders[3]];
    for (const order of due) expect(await hub.deliver(order as DeliveryOrder)).toBe('dropped');
    expect(hub.receiver.received).toHaveLength(2);
    const dropped = await hub.manage.attempts(hub.org.id, ep.id, 'dropped', { limit: 10 });
    expect(dropped.items.map((a) => a.messageId).sort()).toEqual(ids.slice(1).sort());
    expect(dropped.items.every((a) => a.recoverable && /disabled/.test(String(a.error)))).toBe(true);
    const admin = member(hub.org.id, 'admin');
    await expect(hub.manage.recover(hub.org.id, ep.id, since, admin, request)).rejects.toThrow(/disabled/);

    await hub.manage.update(hub.org.id, ep.id, { enabled: true }, admin, request);
    expect(await hub.manage.recover(hub.org.id, ep.id, since, admin, request)).toEqual({ queued: 4 });
    const again = await drainDeliveries(4, hub.org.id);
    expect(again.map((o) => o.body.messageId).sort()).toEqual([...ids].sort());
    for (const order of again) expect(await hub.deliver(order.body as never)).toBe('delivered');
    const accepted = hub.receiver.received.filter((r) => r.answered === 200);
    expect(accepted.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(accepted.every((r) => r.verifiedWith.length === 1)).toBe(true);
    for (const id of ids)
      expect(await hub.store.getMessage(hub.org.id, id)).toMatchObject({ status: 'delivered' });
    // Nothing is left to recover: a second recovery queues none.
    expect(await hub.manage.recover(hub.org.id, ep.id, since, admin, request)).toEqual({ queued: 0 });
  });

  it('fails a message after its eighth attempt, and lists it for recovery', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const [order] = await drainDeliveries();
    const id = String(order?.body.messageId);
    for (let attempt = 1; attempt <= 8; attempt++) {
      hub.receiver.answer(500);
      const outcome = await hub.deliver({ orgId: hub.org.id, messageId: id, attempt: attempt - 1 });
      expect(outcome).toBe(attempt < 8 ? 'scheduled' : 'failed');
    }
    expect(await hub.store.getMessage(hub.org.id, id)).toMatchObject({ status: 'failed', attempts: 8 });
    expect(await hub.store.failedSince(hub.org.id, ep.id, new Date(0), 10)).toEqual([id]);
  });

  it("warns the org's admins on day 4 of failing and disables the endpoint on day 5, both audited", async () => {
    const hub = await setup();
    const admin = {
      id: newId('usr'),
      orgId: hub.org.id,
      email: 'ada@example.com',
      name: 'Ada',
      role: 'admin' as const,
      status: 'active' as const,
      createdAt: hub.clock.now().toISOString(),
      createdBy: 'test',
    };
    const viewer = { ...admin, id: newId('usr'), email: 'vic@example.com', role: 'viewer' as const };
    for (const u of [admin, viewer])
      await hub.users.create(
        u,
        auditChange({
          action: 'user.created',
          principal: platformAdmin,
          orgId: hub.org.id,
          targets: [],
          request,
          at: hub.clock.now(),
        }),
        { resource: 'users', limit: 100 },
      );
    const ep = await hub.addEndpoint();
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const [order] = await drainDeliveries();
    hub.receiver.answer(500);
    await hub.deliver(order?.body as never);
    await drainDeliveries(1, hub.org.id);

    hub.advance(4 * DAY - 120_000);
    await hub.sweep();
    expect(hub.mail).toEqual([]);
    hub.advance(180_000);
    await hub.sweep();
    expect(hub.mail.map((m) => m.to)).toEqual(['ada@example.com']);
    expect(hub.mail[0]?.subject).toMatch(/failing/);
    expect(await hub.endpoints.get(hub.org.id, ep.id)).toMatchObject({
      enabled: true,
      warnedAt: expect.any(String),
    });
    hub.advance(DAY);
    await hub.sweep();
    expect(hub.mail.map((m) => m.subject)).toEqual([
      expect.stringMatching(/failing/),
      expect.stringMatching(/disabled/),
    ]);
    const endpoint = await hub.endpoints.get(hub.org.id, ep.id);
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/5 days/) });
    const failing = await hub.audit.list(hub.org.id, { action: 'webhook_endpoint.failing' }, { limit: 10 });
    const disabled = await hub.audit.list(hub.org.id, { action: 'webhook_endpoint.disabled' }, { limit: 10 });
    expect([failing.items.length, disabled.items.length]).toEqual([1, 1]);
  });

  it('lets an endpoint that succeeded again meanwhile be: no warning, no disabling', async () => {
    const hub = await setup();
    const ep = await hub.addEndpoint();
    await hub.deliveries.enqueue(hub.event(), [{ channel: 'webhook', endpointId: ep.id }]);
    const [order] = await drainDeliveries();
    hub.receiver.answer(500);
    await hub.deliver(order?.body as never);
    const [retry] = await drainDeliveries(1, hub.org.id);
    hub.advance(DAY);
    expect(await hub.deliver(retry?.body as never)).toBe('delivered');
    // Both checks come due (day 4, day 5) and find it healthy.
    hub.advance(3 * DAY + 60_000);
    expect((await hub.sweep()).health).toEqual({ healthy: 1 });
    hub.advance(DAY);
    expect((await hub.sweep()).health).toEqual({ healthy: 1 });
    expect(await hub.endpoints.get(hub.org.id, ep.id)).toMatchObject({ enabled: true });
    expect(hub.mail).toEqual([]);
  });

  it('delivers an event too large for the table whole, kept in the claim-check store, with or without the bus’s reference', async () => {
    const s3Server = await startLocalS3({ dataDir: aws.dir, buckets: [LOCAL_CLAIMS_BUCKET] });
    try {
      const claims = new S3ClaimCheckStore(
        new S3Client({
          endpoint: s3Server.endpoint,
          region: localNames.region,
          credentials: localCredentials,
          forcePathStyle: true,
        }),
        LOCAL_CLAIMS_BUCKET,
      );
      const hub = await setup();
      const store = new DynamoDbDeliveryStore(aws.docs, aws.tables.domainTable, () => now, claims);
      const queues = new SqsMessageQueues(aws.sqs, queueUrls);
      const deliveries = makeDeliveryQueue({ store, queues, clock: hub.clock });
      const deliver = makeDeliver({
        store,
        channels: {
          webhook: makeWebhookChannel({
            endpoints: hub.endpoints,
            cipher,
            fetch: makeEgressFetch({ policy: { allowLoopback: true, allowedRanges: [] } }),
            dueIndex: hub.dueIndex,
            audit: hub.audit,
            clock: hub.clock,
          }) as DeliveryChannel<never>,
        },
        queues,
        dueIndex: hub.dueIndex,
        clock: hub.clock,
      });
      const ep = await hub.addEndpoint();
      // Random bytes do not compress: about 700 KB gzipped, beyond what one item holds.
      const big = () => ({
        ...hub.event(),
        data: { blob: randomBytes(525_000).toString('base64') },
      });
      const plain = big();
      // As the bus carries one: already claim-checked, read back with its reference.
      const fromBus = await resolveClaim(await claimCheck(big(), claims), claims);
      for (const event of [plain, fromBus]) {
        await expect(deliveries.enqueue(event, [{ channel: 'webhook', endpointId: ep.id }])).resolves.toEqual(
          { created: 1, existing: 0 },
        );
      }
      const orders = await drainDeliveries(2, hub.org.id);
      for (const order of orders) expect(await deliver(order.body as never)).toBe('delivered');
      const bodies = hub.receiver.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      const { claim: _claim, ...fromBusWhole } = fromBus;
      expect(bodies.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual(
        [plain, fromBusWhole]
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((event) => ({ ...event, version: 1 })),
      );
      expect(hub.receiver.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
    } finally {
      await s3Server.stop();
    }
  }, 60_000);
});
