import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DeadLetterStore, Page, PageRequest } from '../../ports/stores';
import type { StoredDeadLetter } from '../../queues/dead-letter';
import { DeadLetterSchema } from '../../queues/dead-letter';
import { dataRetentionDays, expiresAfter } from '../../tenancy/retention';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

/** Dead letters under the org's partition, newest first; the message body is kept as received. */
export class DynamoDbDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.deadLetters);
  }

  private parse(item: Record<string, unknown>): StoredDeadLetter {
    return { ...DeadLetterSchema.parse(item), body: String(item.body) };
  }

  async park(letter: StoredDeadLetter): Promise<void> {
    new TenantScopedTable(this.client, this.domainTable, letter.orgId).check(this.pk(letter.orgId));
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: this.pk(letter.orgId),
          SK: letter.id,
          ...letter,
          // A dead letter holds the whole message: it goes with the org's retention, redriven or not.
          expiresAt: expiresAfter(letter.parkedAt, dataRetentionDays(letter.orgId)),
        },
      }),
    );
  }

  async list(orgId: string, page: PageRequest): Promise<Page<StoredDeadLetter>> {
    const result = await new TenantScopedTable(this.client, this.domainTable, orgId).queryPage(
      this.pk(orgId),
      page,
    );
    return { items: result.items.map((i) => this.parse(i)), nextCursor: result.nextCursor };
  }

  async get(orgId: string, id: string): Promise<StoredDeadLetter | null> {
    const item = await new TenantScopedTable(this.client, this.domainTable, orgId).get(this.pk(orgId), id);
    return item ? this.parse(item) : null;
  }

  async remove(orgId: string, id: string): Promise<boolean> {
    new TenantScopedTable(this.client, this.domainTable, orgId).check(this.pk(orgId));
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.domainTable,
          Key: { PK: this.pk(orgId), SK: id },
          ConditionExpression: 'attribute_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
