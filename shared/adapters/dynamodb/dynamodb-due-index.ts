import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../ports/clock';
import type { DueEntry, DueIndex } from '../../ports/due-index';
import { platformPointers } from '../../topology/access';
import { epochSeconds, platformPk } from './keys';
import type { DataClient } from './tenant-routing-client';

const MINUTE = 60_000;
/**
 * A minute found empty is forgotten only once it is this far behind the sweep's now: an adder
 * whose clock trails the sweeper's by a little may still index an entry in it.
 */
const GRACE_MINUTES = 5;
/** The most minute partitions one sweep reads: a sweep's cost is bounded, whatever the backlog. */
const MAX_MINUTES_PER_SWEEP = 100;
/** An entry nobody swept (the hub was stopped) is kept this long past its time, then expires. */
const KEEP_AFTER_DUE_MS = 30 * 24 * 3_600_000;

const minuteOf = (at: Date) => Math.floor(at.getTime() / MINUTE);
const minuteKey = (minute: number) => new Date(minute * MINUTE).toISOString().slice(0, 16);
const bucketPk = (kind: string, minute: number) =>
  platformPk(platformPointers.dueEntries, `${kind}#${minuteKey(minute)}`);
/** The kind's sparse index of minutes: one item per minute that holds (or held) entries. */
const minutesPk = (kind: string) => platformPk(platformPointers.dueMinutes, kind);
const sortKey = (e: DueEntry) => `${e.dueAt.toISOString()}#${e.orgId}#${e.ref}`;

/**
 * The due index in the domain table, under the platform prefix (it holds ids and times, no tenant
 * data): one partition per kind and minute holding its entries, and per kind a sparse index of
 * the minutes that hold entries, so a sweep reads only those — after a long stop (or a clock moved
 * days ahead) as cheaply as every minute. A minute stays in the index until a sweep finds it empty.
 */
export class DynamoDbDueIndex implements DueIndex {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
    private readonly clock: Clock,
  ) {}

  async add(wanted: DueEntry): Promise<void> {
    // An entry already due is due now: a sweep has nothing before its own now to look back at.
    const now = this.clock.now();
    const entry = wanted.dueAt < now ? { ...wanted, dueAt: now } : wanted;
    const minute = minuteOf(entry.dueAt);
    const expiresAt = epochSeconds(new Date(entry.dueAt.getTime() + KEEP_AFTER_DUE_MS));
    // The minute first: an entry is never stored where no sweep would look (a minute without
    // entries costs one read and is forgotten).
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: { PK: minutesPk(entry.kind), SK: minuteKey(minute), minute, expiresAt },
      }),
    );
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: bucketPk(entry.kind, minute),
          SK: sortKey(entry),
          orgId: entry.orgId,
          ref: entry.ref,
          dueAt: entry.dueAt.toISOString(),
          expiresAt,
        },
      }),
    );
  }

  async remove(entry: DueEntry): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.domainTable,
        Key: { PK: bucketPk(entry.kind, minuteOf(entry.dueAt)), SK: sortKey(entry) },
      }),
    );
  }

  async due(kind: string, now: Date, limit: number): Promise<DueEntry[]> {
    const nowMinute = minuteOf(now);
    const minutes = await this.client.send(
      new QueryCommand({
        TableName: this.domainTable,
        KeyConditionExpression: 'PK = :pk AND SK <= :upTo',
        ExpressionAttributeValues: { ':pk': minutesPk(kind), ':upTo': minuteKey(nowMinute) },
        Limit: MAX_MINUTES_PER_SWEEP,
        ConsistentRead: true,
      }),
    );
    const found: DueEntry[] = [];
    const emptied: string[] = [];
    for (const item of minutes.Items ?? []) {
      if (found.length >= limit) break;
      const minute = Number(item.minute);
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.domainTable,
          KeyConditionExpression: 'PK = :pk AND SK <= :upTo',
          ExpressionAttributeValues: { ':pk': bucketPk(kind, minute), ':upTo': `${now.toISOString()}~` },
          Limit: limit - found.length,
          ConsistentRead: true,
        }),
      );
      const items = out.Items ?? [];
      if (items.length === 0 && minute < nowMinute - GRACE_MINUTES) emptied.push(String(item.SK));
      for (const entry of items)
        found.push({
          kind,
          orgId: String(entry.orgId),
          ref: String(entry.ref),
          dueAt: new Date(String(entry.dueAt)),
        });
    }
    // Swept empty: the next sweep starts at the next minute that holds entries.
    await Promise.all(
      emptied.map((sk) =>
        this.client.send(
          new DeleteCommand({ TableName: this.domainTable, Key: { PK: minutesPk(kind), SK: sk } }),
        ),
      ),
    );
    return found;
  }
}
