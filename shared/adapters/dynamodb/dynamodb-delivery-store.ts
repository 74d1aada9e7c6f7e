import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PayloadTooLargeError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { ClaimCheckedEvent } from '../../events/claim-check';
import { ClaimCheckedEventSchema, claimCheck, resolveClaim } from '../../events/claim-check';
import type { DeliveryAttempt, DeliveryStore } from '../../notify/delivery/ports';
import type { DeliveryMessage } from '../../notify/model';
import type { ClaimCheckStore } from '../../ports/claim-check-store';
import type { Page, PageRequest } from '../../ports/stores';
import { ifConditionHolds } from './conditional';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

/** Messages and attempts are kept as long as the events they carry. */
const KEEP_MS = 30 * 86_400_000;
/** DynamoDB items hold 400 KB; a compressed event above this could not be stored with its keys. */
const MAX_EVENT_BYTES = 350 * 1024;
/** DynamoDB's most items in one transaction, and how many transactions one fan-out keeps in flight. */
const TRANSACTION_ITEMS = 100;
const TRANSACTION_CONCURRENCY = 4;

/** The event without its data: what a claim-check reference travels with. */
const envelopeOf = ({ data: _data, ...envelope }: CanonicalEvent) => envelope;

const strip = ({ PK: _pk, SK: _sk, expiresAt: _e, ...rest }: Record<string, unknown>) => rest;

async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
  return results;
}

/**
 * The delivery engine's items, each under its org's partitions: the event (stored once,
 * compressed), its messages, their attempts (listed by endpoint, by endpoint and status, and by
 * message), the index of messages that failed for good (or were dropped while their endpoint was
 * disabled) per endpoint, and one-second rate windows.
 */
export class DynamoDbDeliveryStore implements DeliveryStore {
  constructor(
    private readonly client: DataClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
    /** Where an event too large for an item is kept whole (the bus's claim-check store). */
    private readonly claims?: ClaimCheckStore,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tableName, orgId);
  }

  private expiresAt() {
    return epochSeconds(new Date(this.now().getTime() + KEEP_MS));
  }

  async putEvent(event: CanonicalEvent, expiresAt: Date): Promise<void> {
    // Receivers get the canonical envelope: the bus's claim-check reference is the hub's own.
    const { claim, ...whole } = event;
    const pk = tenantPk(event.tenantId, TENANT_COLLECTIONS.notifyEvents);
    this.table(event.tenantId).check(pk);
    const body = gzipSync(JSON.stringify(whole));
    let stored: Record<string, unknown> = { body };
    if (body.byteLength > MAX_EVENT_BYTES) {
      // Too large for an item: kept whole in the claim-check store (as the bus does), referenced here.
      if (!this.claims)
        throw new PayloadTooLargeError(
          `Event ${event.id} is too large to deliver (${body.byteLength} bytes compressed) and no claim-check store is wired`,
        );
      const checked: ClaimCheckedEvent = claim
        ? { ...envelopeOf(whole), claim }
        : await claimCheck(whole, this.claims);
      stored = { claimed: JSON.stringify(checked) };
    }
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { PK: pk, SK: event.id, ...stored, expiresAt: epochSeconds(expiresAt) },
      }),
    );
  }

  async getEvent(orgId: string, eventId: string): Promise<CanonicalEvent | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.notifyEvents), eventId);
    if (!item) return null;
    if (typeof item.claimed === 'string') {
      if (!this.claims) throw new Error(`Event ${eventId} is in the claim-check store, which is not wired`);
      const checked = ClaimCheckedEventSchema.parse(JSON.parse(item.claimed));
      if (checked.tenantId !== orgId || checked.id !== eventId)
        throw new Error(`The stored reference of ${eventId} names another event`);
      const { claim: _claim, ...event } = await resolveClaim(checked, this.claims);
      return event;
    }
    return JSON.parse(gunzipSync(item.body as Uint8Array).toString('utf8')) as CanonicalEvent;
  }

  private messageItem(message: DeliveryMessage) {
    return {
      PK: tenantPk(message.orgId, TENANT_COLLECTIONS.messages),
      SK: message.id,
      ...message,
      expiresAt: this.expiresAt(),
    };
  }

  async createMessages(messages: readonly DeliveryMessage[]): Promise<{ existing: DeliveryMessage[] }> {
    const chunks: DeliveryMessage[][] = [];
    for (let i = 0; i < messages.length; i += TRANSACTION_ITEMS)
      chunks.push(messages.slice(i, i + TRANSACTION_ITEMS));
    const existing = await inBatches(chunks, TRANSACTION_CONCURRENCY, (chunk) => this.createChunk(chunk));
    return { existing: existing.flat() };
  }

  /**
   * A hundred conditional puts in one transaction: a fan-out to a thousand endpoints is ten calls.
   * The transaction names the messages that already exist; the others are then put without them.
   */
  private async createChunk(chunk: readonly DeliveryMessage[]): Promise<DeliveryMessage[]> {
    const existing: DeliveryMessage[] = [];
    let left = [...chunk];
    while (left.length > 0) {
      const failed = await transactWrite(
        this.client,
        left.map((m) => this.table(m.orgId).putItem(this.messageItem(m))),
      );
      if (failed.length === 0) break;
      const found = new Set(failed);
      for (const [i, m] of left.entries()) {
        if (!found.has(i)) continue;
        const stored = await this.getMessage(m.orgId, m.id);
        if (stored) existing.push(stored);
      }
      left = left.filter((_, i) => !found.has(i));
    }
    return existing;
  }

  async getMessage(orgId: string, messageId: string): Promise<DeliveryMessage | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.messages), messageId, {
      consistent: true,
    });
    return item ? (strip(item) as unknown as DeliveryMessage) : null;
  }

  async saveMessage(
    next: DeliveryMessage,
    expected: Pick<DeliveryMessage, 'attempts' | 'status'>,
    attempt?: DeliveryAttempt,
  ): Promise<boolean> {
    const table = this.table(next.orgId);
    const item = this.messageItem(next);
    table.check(item.PK);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attempts = :attempts AND #status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':attempts': expected.attempts, ':status': expected.status },
        },
      },
    ];
    const expiresAt = this.expiresAt();
    if (attempt) {
      const record = { ...attempt, expiresAt };
      const pks = [tenantPk(next.orgId, `${TENANT_COLLECTIONS.messageAttempts}#${next.id}`)];
      if (attempt.endpointId) {
        const base = `${TENANT_COLLECTIONS.endpointAttempts}#${attempt.endpointId}`;
        pks.push(tenantPk(next.orgId, base), tenantPk(next.orgId, `${base}#${attempt.status}`));
      }
      for (const pk of pks) items.push(table.putItem({ PK: pk, SK: attempt.id, ...record }));
    }
    // Indexed for recovery: failed for good, or dropped while its endpoint was disabled.
    const recoverable =
      (next.status === 'failed' && expected.status !== 'failed') ||
      (next.status === 'dropped' && attempt?.recoverable === true);
    if (recoverable && next.target.channel === 'webhook') {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            PK: tenantPk(next.orgId, `${TENANT_COLLECTIONS.failedMessages}#${next.target.endpointId}`),
            // By when it failed or was dropped: what a recovery since a time looks for.
            SK: `${attempt?.at ?? next.lastAttemptAt ?? this.now().toISOString()}#${next.id}`,
            messageId: next.id,
            expiresAt,
          },
        },
      });
    }
    const failed = await transactWrite(this.client, items);
    return failed.length === 0;
  }

  async listAttempts(
    orgId: string,
    endpointId: string,
    status: DeliveryAttempt['status'] | undefined,
    page: PageRequest,
  ): Promise<Page<DeliveryAttempt>> {
    const base = `${TENANT_COLLECTIONS.endpointAttempts}#${endpointId}`;
    const out = await this.table(orgId).queryPage(tenantPk(orgId, status ? `${base}#${status}` : base), page);
    return {
      items: out.items.map((i) => strip(i) as unknown as DeliveryAttempt),
      nextCursor: out.nextCursor,
    };
  }

  async messageAttempts(orgId: string, messageId: string, limit: number): Promise<DeliveryAttempt[]> {
    const out = await this.table(orgId).queryPage(
      tenantPk(orgId, `${TENANT_COLLECTIONS.messageAttempts}#${messageId}`),
      { limit },
    );
    return out.items.map((i) => strip(i) as unknown as DeliveryAttempt);
  }

  async failedSince(orgId: string, endpointId: string, since: Date, limit: number): Promise<string[]> {
    const pk = tenantPk(orgId, `${TENANT_COLLECTIONS.failedMessages}#${endpointId}`);
    this.table(orgId).check(pk);
    const ids = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND SK >= :since',
          ExpressionAttributeValues: { ':pk': pk, ':since': since.toISOString() },
          ExclusiveStartKey: start,
          Limit: Math.min(1_000, limit),
        }),
      );
      for (const item of out.Items ?? []) ids.add(String(item.messageId));
      start = out.LastEvaluatedKey;
    } while (start && ids.size < limit);
    return [...ids].slice(0, limit);
  }

  async consumeRate(
    orgId: string,
    key: string,
    perSecond: number,
    now: Date,
    windowSeconds = 1,
  ): Promise<boolean> {
    const window = windowStart(epochSeconds(now), windowSeconds);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.deliveryRates);
    this.table(orgId).check(pk);
    const out = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: pk, SK: `${key}#${window}` },
          UpdateExpression: 'ADD #n :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': perSecond * windowSeconds,
            ':expires': window + windowSeconds + 120,
          },
        }),
      ),
    );
    return out !== undefined;
  }

  async reserveRate(
    orgId: string,
    key: string,
    perSecond: number,
    now: Date,
    horizonSeconds: number,
    windowSeconds = 1,
  ): Promise<number | null> {
    const nowSecond = epochSeconds(now);
    const first = windowStart(nowSecond, windowSeconds);
    const limit = perSecond * windowSeconds;
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.deliveryRates);
    this.table(orgId).check(pk);
    // A few rounds: another worker may take the window found free before this one counts in it.
    for (let round = 0; round < 5; round++) {
      const counts = new Map<number, number>();
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': pk,
              ':from': `${key}#${first}`,
              ':to': `${key}#${nowSecond + horizonSeconds}`,
            },
            ProjectionExpression: 'SK, #n',
            ExpressionAttributeNames: { '#n': 'count' },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? [])
          counts.set(Number(String(item.SK).slice(key.length + 1)), Number(item.count ?? 0));
        start = out.LastEvaluatedKey;
      } while (start);
      let window = first;
      while (window <= nowSecond + horizonSeconds && (counts.get(window) ?? 0) >= limit)
        window += windowSeconds;
      if (window > nowSecond + horizonSeconds) return null;
      const at = Math.max(window, nowSecond);
      if (await this.consumeRate(orgId, key, perSecond, new Date(at * 1000), windowSeconds))
        return at - nowSecond;
    }
    return null;
  }
}

/** The start (epoch seconds) of the `windowSeconds`-long window holding `second`. */
const windowStart = (second: number, windowSeconds: number) =>
  Math.floor(second / windowSeconds) * windowSeconds;
