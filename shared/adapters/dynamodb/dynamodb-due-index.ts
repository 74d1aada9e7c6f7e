import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../ports/clock';
import type { DueEntry, DueIndex } from '../../ports/due-index';
import { epochSeconds, platformPk } from './keys';
import type { DataClient } from './tenant-routing-client';

const MINUTE = 60_000;
/**
 * How far back the first sweep of a kind looks (entries are never indexed before their adder's
 * now), and how many minutes one sweep walks at most: a sweeper stopped for a day catches up in steps.
 */
const FIRST_LOOKBACK_MINUTES = 60;
const MAX_MINUTES_PER_SWEEP = 240;
/** An entry nobody swept (the hub was stopped) is kept this long past its time, then expires. */
const KEEP_AFTER_DUE_MS = 30 * 24 * 3_600_000;

const minuteOf = (at: Date) => Math.floor(at.getTime() / MINUTE);
const bucketPk = (kind: string, minute: number) =>
  platformPk('DUE', `${kind}#${new Date(minute * MINUTE).toISOString().slice(0, 16)}`);
const sortKey = (e: DueEntry) => `${e.dueAt.toISOString()}#${e.orgId}#${e.ref}`;

/**
 * The due index in the domain table, under the platform prefix (it holds ids and times, no tenant
 * data): one partition per kind and minute, and a cursor per kind below which every minute is empty.
 */
export class DynamoDbDueIndex implements DueIndex {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
    private readonly clock: Clock,
  ) {}

  async add(wanted: DueEntry): Promise<void> {
    // Never below the sweepers' cursor (which trails the clock): an entry already due is due now.
    const now = this.clock.now();
    const entry = wanted.dueAt < now ? { ...wanted, dueAt: now } : wanted;
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: bucketPk(entry.kind, minuteOf(entry.dueAt)),
          SK: sortKey(entry),
          orgId: entry.orgId,
          ref: entry.ref,
          dueAt: entry.dueAt.toISOString(),
          expiresAt: epochSeconds(new Date(entry.dueAt.getTime() + KEEP_AFTER_DUE_MS)),
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
    const cursorKey = { PK: platformPk('DUECURSOR', kind), SK: 'CURSOR' };
    const cursor = await this.client.send(
      new GetCommand({ TableName: this.domainTable, Key: cursorKey, ConsistentRead: true }),
    );
    const nowMinute = minuteOf(now);
    const from =
      typeof cursor.Item?.minute === 'number' ? cursor.Item.minute : nowMinute - FIRST_LOOKBACK_MINUTES;
    const until = Math.min(nowMinute, from + MAX_MINUTES_PER_SWEEP);
    const found: DueEntry[] = [];
    // The first minute that may still hold entries: everything before it was found empty.
    let firstNonEmpty: number | null = null;
    let scanned = from - 1;
    for (let minute = from; minute <= until && found.length < limit; minute++) {
      scanned = minute;
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
      if (items.length > 0 && firstNonEmpty === null) firstNonEmpty = minute;
      for (const item of items)
        found.push({
          kind,
          orgId: String(item.orgId),
          ref: String(item.ref),
          dueAt: new Date(String(item.dueAt)),
        });
    }
    // A minute holding entries stays until they are removed; the current minute may still get some.
    const advanceTo = Math.min(firstNonEmpty ?? scanned + 1, nowMinute);
    if (advanceTo > from)
      await this.client.send(
        new PutCommand({ TableName: this.domainTable, Item: { ...cursorKey, minute: advanceTo } }),
      );
    return found;
  }
}
