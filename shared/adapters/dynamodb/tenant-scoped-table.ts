import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ForbiddenError, ValidationError } from '../../errors';
import type { Page, PageRequest } from '../../ports/stores';
import { tenantPrefix } from './keys';

type Item = Record<string, unknown>;
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Refuses any partition key outside the tenant: a bug elsewhere cannot reach another org's items. */
export class TenantScopedTable {
  private readonly prefix: string;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly orgId: string,
  ) {
    if (!/^org_[0-9A-Z]+$/.test(orgId)) throw new ForbiddenError('Not a tenant id');
    this.prefix = tenantPrefix(orgId);
  }

  private check(pk: unknown): void {
    if (typeof pk !== 'string' || !pk.startsWith(this.prefix)) {
      throw new ForbiddenError(`Key outside the tenant ${this.orgId}`);
    }
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    this.check(pk);
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { PK: pk, SK: sk } }),
    );
    return out.Item;
  }

  async putIfAbsent(item: Item): Promise<boolean> {
    this.check(item.PK);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** A conditional put for a transaction, after the tenant check. */
  putItem(item: Item): TransactItem {
    this.check(item.PK);
    return {
      Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' },
    };
  }

  /** Queries one partition, newest first, with an opaque cursor that cannot leave the partition. */
  async queryPage(pk: string, page: PageRequest): Promise<Page<Item>> {
    this.check(pk);
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': pk },
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
