import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ForbiddenError, ValidationError } from '../../errors';
import type { Page, PageRequest } from '../../ports/stores';
import { ifConditionHolds } from './conditional';
import { tenantPrefix } from './keys';
import type { DataClient } from './tenant-routing-client';

type Item = Record<string, unknown>;
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Refuses anything but an org id where a tenant is expected. */
export function assertTenantId(orgId: string): void {
  if (!/^org_[0-9A-Z]+$/.test(orgId)) throw new ForbiddenError('Not a tenant id');
}

/** Refuses any partition key outside the tenant: a bug elsewhere cannot reach another org's items. */
/** The SK of a partition's item count (`countItem`): `#` sorts before every id and name. */
export const COUNT_SK = '#count';

export class TenantScopedTable {
  private readonly prefix: string;

  constructor(
    private readonly client: DataClient,
    private readonly tableName: string,
    readonly orgId: string,
  ) {
    assertTenantId(orgId);
    this.prefix = tenantPrefix(orgId);
  }

  /** Throws unless the partition key belongs to this tenant. */
  check(pk: unknown): void {
    if (typeof pk !== 'string' || !pk.startsWith(this.prefix)) {
      throw new ForbiddenError(`Key outside the tenant ${this.orgId}`);
    }
  }

  /** `consistent`: a strongly consistent read, for what must not be seen as it was before a write. */
  async get(pk: string, sk: string, options: { consistent?: boolean } = {}): Promise<Item | undefined> {
    this.check(pk);
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: pk, SK: sk },
        ...(options.consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return out.Item;
  }

  async putIfAbsent(item: Item): Promise<boolean> {
    this.check(item.PK);
    const put = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
    return put !== undefined;
  }

  /** A conditional put for a transaction, after the tenant check. */
  putItem(item: Item): TransactItem {
    this.check(item.PK);
    return {
      Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' },
    };
  }

  /** A conditional update for a transaction. */
  updateItem(
    pk: string,
    sk: string,
    spec: {
      update: string;
      condition: string;
      names: Record<string, string>;
      values: Record<string, unknown>;
    },
  ): TransactItem {
    this.check(pk);
    return {
      Update: {
        TableName: this.tableName,
        Key: { PK: pk, SK: sk },
        UpdateExpression: spec.update,
        ConditionExpression: spec.condition,
        ExpressionAttributeNames: Object.keys(spec.names).length > 0 ? spec.names : undefined,
        ExpressionAttributeValues: spec.values,
      },
    };
  }

  /**
   * A transaction's step of a partition's item count (`#count`, sorted before ids and names):
   * adding fails the transaction at `limit`; removing, below one.
   */
  countItem(pk: string, delta: 1 | -1, limit?: number): TransactItem {
    return this.updateItem(pk, COUNT_SK, {
      update: 'ADD #n :delta',
      condition: delta > 0 ? 'attribute_not_exists(#n) OR #n < :limit' : '#n > :zero',
      names: { '#n': 'n' },
      values: {
        ':delta': delta,
        ...(delta > 0 ? { ':limit': limit ?? Number.MAX_SAFE_INTEGER } : { ':zero': 0 }),
      },
    });
  }

  /** A put for a transaction that replaces the item only if it still has `version` (optimistic locking). */
  replaceItem(item: Item & { version: number }, expectedVersion: number): TransactItem {
    this.check(item.PK);
    return {
      Put: {
        TableName: this.tableName,
        Item: item,
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': expectedVersion },
      },
    };
  }

  /**
   * Queries one partition, newest first, with an opaque cursor that cannot leave the partition.
   * A filter may leave a page short of `limit`; `nextCursor` still says whether more may follow.
   */
  async queryPage(
    pk: string,
    page: PageRequest,
    options: {
      skBetween?: readonly [string, string] | undefined;
      filter?:
        | { expression: string; names: Record<string, string>; values: Record<string, unknown> }
        | undefined;
    } = {},
  ): Promise<Page<Item>> {
    this.check(pk);
    const between = options.skBetween;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: between ? 'PK = :pk AND SK BETWEEN :skFrom AND :skTo' : 'PK = :pk',
        FilterExpression: options.filter?.expression,
        ExpressionAttributeNames:
          options.filter && Object.keys(options.filter.names).length > 0 ? options.filter.names : undefined,
        ExpressionAttributeValues: {
          ':pk': pk,
          ...(between ? { ':skFrom': between[0], ':skTo': between[1] } : {}),
          ...options.filter?.values,
        },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: page.cursor === undefined ? undefined : decodeCursor(page.cursor, pk),
      }),
    );
    return {
      items: out.Items ?? [],
      nextCursor: out.LastEvaluatedKey ? encodeCursor(out.LastEvaluatedKey) : null,
    };
  }
}

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string, pk: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new ValidationError('The cursor is not valid', [{ path: 'cursor', message: 'unreadable' }], {
      cause,
    });
  }
  const candidate = key as Item | null;
  if (
    !candidate ||
    candidate.PK !== pk ||
    typeof candidate.SK !== 'string' ||
    Object.keys(candidate).length !== 2
  ) {
    throw new ValidationError('The cursor is not valid', [{ path: 'cursor', message: 'not from this list' }]);
  }
  return candidate;
}
