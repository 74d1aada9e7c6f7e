import { ensureQueues } from '../../lib/local/sqs-local';
import { DynamoDbAuditStore } from '../../shared/adapters/dynamodb/dynamodb-audit-store';
import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbDeliveryStore } from '../../shared/adapters/dynamodb/dynamodb-delivery-store';
import { DynamoDbDueIndex } from '../../shared/adapters/dynamodb/dynamodb-due-index';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbPostedRefStore } from '../../shared/adapters/dynamodb/dynamodb-posted-ref-store';
import { SqsMessageQueues } from '../../shared/adapters/sqs/sqs-message-queues';
import type { RequestContext } from '../../shared/audit/audit-record';
import type { ChatCard, ChatClient, ChatPostOutcome, PostedRef } from '../../shared/chat/model';
import { makeCreateConnection } from '../../shared/connectors/create-connection';
import { makeMarkNeedsAttention } from '../../shared/connectors/manage-connections';
import { ProviderRateLimitedError } from '../../shared/errors';
import type { CanonicalType } from '../../shared/events/canonical';
import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { newId } from '../../shared/ids';
import { makeChatChannel } from '../../shared/notify/chat/chat-channel';
import { makeDeliver } from '../../shared/notify/delivery/deliver';
import { makeDeliveryQueue, messageIdFor } from '../../shared/notify/delivery/delivery-queue';
import type { DeliveryChannel } from '../../shared/notify/delivery/ports';
import type { DeliveryTarget } from '../../shared/notify/model';
import { sampleEvent } from '../../shared/notify/rules/sample-event';
import { PROVIDERS } from '../../shared/providers';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
let queueUrls: Record<string, string>;
beforeAll(async () => {
  aws = await startLocalAws();
  const queues = await ensureQueues(aws.sqs);
  queueUrls = Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, q.url]));
}, 120_000);
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-chat', ip: '127.0.0.1', userAgent: 'jest' };
const cipher = { encrypt: async (p: string) => `enc:${p}`, decrypt: async (c: string) => c.slice(4) };
/** The chat provider the fake client stands in for (any provider id: the channel names none). */
const PROVIDER = 'generic';

interface PostCall {
  readonly conversation: string;
  readonly card: ChatCard;
  readonly update?: PostedRef;
  readonly threadOf?: PostedRef;
}

/** A chat platform in memory: records each post, answers as told (ok by default), can hold a post until released. */
function fakeChatClient() {
  const calls: PostCall[] = [];
  const answers: ChatPostOutcome[] = [];
  let hold: { entered: () => void; released: Promise<void> } | null = null;
  let posted = 0;
  const dmErrors: Error[] = [];
  const client: ChatClient = {
    async post(_connection, conversation, card, options) {
      calls.push({ conversation, card, ...options });
      const gate = hold;
      hold = null;
      if (gate) {
        gate.entered();
        await gate.released;
      }
      const answer = answers.shift();
      if (answer) return answer;
      if (options?.update) return { ok: true, ref: options.update, statusCode: 200 };
      posted += 1;
      return {
        ok: true,
        statusCode: 200,
        ref: {
          conversation,
          messageId: `m${posted}`,
          ...(options?.threadOf ? { threadId: options.threadOf.messageId } : {}),
        },
      };
    },
    respond: async () => ({ ok: false, error: 'not used' }),
    lookupUser: async () => null,
    directConversation: async (_connection, platformUserId) => {
      const error = dmErrors.shift();
      if (error) throw error;
      return `D-${platformUserId}`;
    },
  };
  return {
    client,
    dmErrors,
    calls,
    answers,
    /** The next post waits for `release()`; `entered` resolves once it has started. */
    holdNext() {
      let entered!: () => void;
      let release!: () => void;
      const enteredP = new Promise<void>((r) => {
        entered = r;
      });
      const released = new Promise<void>((r) => {
        release = r;
      });
      hold = { entered, released };
      return { entered: enteredP, release };
    },
  };
}

async function setup() {
  let now = new Date();
  const clock = { now: () => now };
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const org = await makeCreateOrg({ orgs, clock })(
    { name: 'chat', slug: `chat-${newId('job').slice(-10).toLowerCase()}`, plan: 'team' },
    platformAdmin,
    request,
  );
  const connections = new DynamoDbConnectionStore(aws.docs, aws.tables);
  const { connection } = await makeCreateConnection({
    orgs,
    connections,
    cipher,
    clock,
    providers: PROVIDERS,
  })(org.id, { provider: PROVIDER, name: 'Workspace' }, platformAdmin, request);
  const store = new DynamoDbDeliveryStore(aws.docs, aws.tables.domainTable, () => now);
  const queues = new SqsMessageQueues(aws.sqs, queueUrls);
  const dueIndex = new DynamoDbDueIndex(aws.docs, aws.tables.domainTable, clock);
  const audit = new DynamoDbAuditStore(aws.docs, aws.tables, aws.docs);
  const fake = fakeChatClient();
  const links = new Map<string, string>();
  const channel = makeChatChannel({
    clients: { [PROVIDER]: fake.client },
    refs: new DynamoDbPostedRefStore(aws.docs, aws.tables.domainTable),
    connections,
    identities: { platformUserOf: async (_o, _p, userId) => links.get(userId) ?? null },
    markNeedsAttention: makeMarkNeedsAttention({ connections, clock }),
    clock,
  });
  const deliver = makeDeliver({
    store,
    channels: { chat: channel as DeliveryChannel<never> },
    queues,
    dueIndex,
    clock,
    random: () => 0.5,
  });
  const deliveries = makeDeliveryQueue({ store, queues, clock });
  const target = (conversation = 'C-general'): DeliveryTarget => ({
    channel: 'chat',
    provider: PROVIDER,
    connectionId: connection.id,
    conversation,
  });
  /** An event of the sample's shape about the item WEB-12 (a PR mentions it), `edit` applied to its data. */
  const event = (type: CanonicalType, edit: (data: Record<string, unknown>) => void = () => undefined) => {
    const e = sampleEvent(org.id, type, { containers: ['web'] }, now);
    edit(e.data);
    return { ...e, occurredAt: now.toISOString() } as CanonicalEvent;
  };
  /** Queues the event for the target and makes its first attempt. */
  const send = async (e: CanonicalEvent, to = target()) => {
    await deliveries.enqueue(e, [to]);
    const messageId = messageIdFor(e.id, to);
    return { result: await deliver({ orgId: org.id, messageId, attempt: 0, eventId: e.id }), messageId };
  };
  return {
    org,
    connection,
    connections,
    store,
    audit,
    fake,
    links,
    deliver,
    target,
    event,
    send,
    /** A second on: each conversation takes one message a second. */
    tick: (ms = 1_000) => {
      now = new Date(now.getTime() + ms);
    },
    clock,
  };
}

describe('chat notifications through the delivery worker, against DynamoDB Local', () => {
  it("posts an item's first card, then updates that card in place for its next event", async () => {
    const hub = await setup();
    const first = await hub.send(hub.event('work_item.created'));
    expect(first.result).toBe('delivered');
    hub.tick();
    const second = await hub.send(
      hub.event('work_item.updated', (d) => {
        (d.item as { assignee: unknown }).assignee = { id: 'u-3', login: 'linus', name: 'Linus' };
      }),
    );
    expect(second.result).toBe('delivered');
    expect(
      hub.fake.calls.map((c) => [c.conversation, c.update?.messageId ?? null, c.threadOf ?? null]),
    ).toEqual([
      ['C-general', null, null],
      ['C-general', 'm1', null],
    ]);
    expect(hub.fake.calls[1]?.card.fields).toContainEqual({ label: 'Assignee', value: 'Linus' });
    const message = await hub.store.getMessage(hub.org.id, second.messageId);
    expect(message).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it("updates the work item's card when a PR that mentions it is merged, and replies in its thread", async () => {
    const hub = await setup();
    await hub.send(hub.event('work_item.updated'));
    hub.tick();
    expect((await hub.send(hub.event('pull_request.merged'))).result).toBe('delivered');
    const [, update, reply] = hub.fake.calls;
    expect(update).toMatchObject({ update: { conversation: 'C-general', messageId: 'm1' } });
    expect(update?.card.title).toBe('PR #42 merged: Add rate limiting to the public API');
    expect(reply).toMatchObject({ threadOf: { conversation: 'C-general', messageId: 'm1' } });
    expect(reply?.card).toEqual({
      title: update?.card.title,
      titleUrl: update?.card.titleUrl,
      context: update?.card.context,
      tone: 'good',
      fallback: update?.card.fallback,
    });
    expect(hub.fake.calls).toHaveLength(3);
  });

  it("posts one card when an item's first two events are delivered at the same time; the other updates it", async () => {
    const hub = await setup();
    const created = hub.event('work_item.created');
    const updated = hub.event('work_item.updated');
    const held = hub.fake.holdNext();
    const slow = hub.send(created);
    await held.entered;
    hub.tick();
    // The second event finds the first card being posted: it comes back shortly instead of posting another.
    const fast = await hub.send(updated);
    expect(fast.result).toBe('scheduled');
    expect(await hub.store.getMessage(hub.org.id, fast.messageId)).toMatchObject({
      status: 'scheduled',
      reason: 'the first card of this item is being posted by another delivery',
    });
    held.release();
    expect((await slow).result).toBe('delivered');
    hub.tick(5_000);
    expect(
      await hub.deliver({ orgId: hub.org.id, messageId: fast.messageId, attempt: 1, eventId: updated.id }),
    ).toBe('delivered');
    expect(hub.fake.calls.filter((c) => !c.update && !c.threadOf)).toHaveLength(1);
    expect(hub.fake.calls.at(-1)).toMatchObject({ update: { messageId: 'm1' } });
  });

  it('lets a short burst to one conversation through and spreads the rest at one message a second on average', async () => {
    const hub = await setup();
    const results = [];
    for (const _ of [1, 2, 3, 4, 5]) results.push((await hub.send(hub.event('push'))).result);
    // Three seconds' allowance at once (events a second apart never wait on their jitter); then spread.
    expect(results).toEqual(['delivered', 'delivered', 'delivered', 'throttled', 'throttled']);
    expect(hub.fake.calls).toHaveLength(3);
    // Another conversation is not held back.
    expect((await hub.send(hub.event('push'), hub.target('C-other'))).result).toBe('delivered');
  });

  it("honours the platform's Retry-After when it rate-limits a post", async () => {
    const hub = await setup();
    hub.fake.answers.push({ ok: false, statusCode: 429, error: 'ratelimited', retryAfterSeconds: 30 });
    const sent = await hub.send(hub.event('work_item.created'));
    expect(sent.result).toBe('scheduled');
    const message = await hub.store.getMessage(hub.org.id, sent.messageId);
    expect(message).toMatchObject({ status: 'scheduled', reason: 'ratelimited' });
    expect(Date.parse(String(message?.nextAttemptAt)) - hub.clock.now().getTime()).toBe(30_000);
    // The claim of the failed first post was given up: the retry posts the card.
    hub.tick(30_000);
    const event = await hub.store.getEvent(hub.org.id, String(message?.eventId));
    expect(
      await hub.deliver({
        orgId: hub.org.id,
        messageId: sent.messageId,
        attempt: 1,
        eventId: event?.id as string,
      }),
    ).toBe('delivered');
    expect(hub.fake.calls.map((c) => Boolean(c.update))).toEqual([false, false]);
  });

  it('marks the connection as needing attention when the platform says the app is gone, and drops what follows', async () => {
    const hub = await setup();
    hub.fake.answers.push({ ok: false, statusCode: 200, error: 'account_inactive', permanent: 'gone' });
    const sent = await hub.send(hub.event('work_item.created'));
    expect(sent.result).toBe('failed');
    expect(await hub.store.getMessage(hub.org.id, sent.messageId)).toMatchObject({
      status: 'failed',
      reason: 'account_inactive',
    });
    expect(await hub.connections.get(hub.org.id, hub.connection.id)).toMatchObject({
      status: 'needs_attention',
      lastError: { message: expect.stringContaining('account_inactive') },
    });
    const audited = await hub.audit.list(hub.org.id, {}, { limit: 20 });
    expect(audited.items.map((a) => a.action)).toContain('connection.needs_attention');
    hub.tick();
    const next = await hub.send(hub.event('pull_request.merged'));
    expect(next.result).toBe('dropped');
    expect(await hub.store.getMessage(hub.org.id, next.messageId)).toMatchObject({
      status: 'dropped',
      reason: expect.stringContaining('the chat connection is needs attention'),
    });
    expect(hub.fake.calls).toHaveLength(1);
  });

  it("sends a user's DM through their identity link, and drops it with the reason when they have none", async () => {
    const hub = await setup();
    const userId = newId('usr');
    const dm = hub.target(`user:${userId}`);
    const unlinked = await hub.send(hub.event('push'), dm);
    expect(unlinked.result).toBe('dropped');
    expect(await hub.store.getMessage(hub.org.id, unlinked.messageId)).toMatchObject({
      reason: `the user has not linked their ${PROVIDER} identity to the hub (they can through the bot)`,
    });
    hub.links.set(userId, 'U777');
    hub.tick();
    // The platform rate-limits opening the DM: the message waits as it asks.
    hub.fake.dmErrors.push(new ProviderRateLimitedError('rate limited', 20));
    const limited = await hub.send(hub.event('push'), dm);
    expect(limited.result).toBe('scheduled');
    const waiting = await hub.store.getMessage(hub.org.id, limited.messageId);
    expect(Date.parse(String(waiting?.nextAttemptAt)) - hub.clock.now().getTime()).toBe(20_000);
    hub.tick(20_000);
    expect(
      await hub.deliver({
        orgId: hub.org.id,
        messageId: limited.messageId,
        attempt: 1,
        eventId: String(waiting?.eventId),
      }),
    ).toBe('delivered');
    expect(hub.fake.calls.map((c) => c.conversation)).toEqual(['D-U777']);
  });

  it('never lets an older event replace what the card shows (events can arrive out of order)', async () => {
    const hub = await setup();
    const later = hub.event('work_item.updated');
    const earlier = {
      ...hub.event('work_item.created'),
      occurredAt: new Date(Date.parse(later.occurredAt) - 60_000).toISOString(),
    };
    await hub.send(later);
    hub.tick();
    const sent = await hub.send(earlier);
    expect(sent.result).toBe('delivered');
    expect(hub.fake.calls).toHaveLength(1);
    expect((await hub.store.getMessage(hub.org.id, sent.messageId))?.status).toBe('delivered');
  });
});

describe('the posted cards store', () => {
  const refs = () => new DynamoDbPostedRefStore(aws.docs, aws.tables.domainTable);
  const key = () => ({
    orgId: newId('org'),
    connectionId: newId('con'),
    conversation: 'C1',
    threadKey: 'item:WEB-1',
  });

  it('gives the first claim to one owner, again to another only once its lease is over, and never over a card', async () => {
    const store = refs();
    const k = key();
    const t0 = new Date();
    expect(await store.claim(k, 'a', t0, 30_000)).toBe(true);
    expect(await store.claim(k, 'b', t0, 30_000)).toBe(false);
    expect(await store.find(k)).toEqual({
      kind: 'posting',
      until: new Date(t0.getTime() + 30_000).toISOString(),
    });
    expect(await store.claim(k, 'b', new Date(t0.getTime() + 31_000), 30_000)).toBe(true);
    await store.record(k, { conversation: 'C1', messageId: '1.0' }, '2026-01-01T00:00:00.000Z', 30);
    expect(await store.claim(k, 'c', new Date(t0.getTime() + 3_600_000), 30_000)).toBe(false);
    expect(await store.find(k)).toEqual({
      kind: 'posted',
      ref: { conversation: 'C1', messageId: '1.0' },
      shownEventAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it("releases only the owner's claim, and never a recorded card", async () => {
    const store = refs();
    const k = key();
    await store.claim(k, 'a', new Date(), 30_000);
    await store.release(k, 'b');
    expect((await store.find(k))?.kind).toBe('posting');
    await store.release(k, 'a');
    expect(await store.find(k)).toBeNull();
    await store.claim(k, 'a', new Date(), 30_000);
    await store.record(k, { conversation: 'C1', messageId: '1.0' }, '2026-01-01T00:00:00.000Z', 30);
    await store.release(k, 'a');
    expect((await store.find(k))?.kind).toBe('posted');
  });

  it('notes a later event shown, not an earlier one; keeps cards apart per org and conversation', async () => {
    const store = refs();
    const k = key();
    await store.record(k, { conversation: 'C1', messageId: '1.0' }, '2026-01-01T00:00:01.000Z', 30);
    expect(await store.noteShown(k, '2026-01-01T00:00:00.000Z', 30)).toBe(false);
    expect(await store.noteShown(k, '2026-01-01T00:00:02.000Z', 30)).toBe(true);
    expect(await store.find(k)).toMatchObject({ shownEventAt: '2026-01-01T00:00:02.000Z' });
    expect(await store.find({ ...k, orgId: newId('org') })).toBeNull();
    expect(await store.find({ ...k, conversation: 'C2' })).toBeNull();
  });
});
