import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LockStore } from '../../ports/stores';
import { ifConditionHolds } from './conditional';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

/** Leases as conditional writes: free, or expired (a holder that died gives it up by timing out). */
export class DynamoDbLockStore implements LockStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private pk(orgId: string) {
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.locks);
    new TenantScopedTable(this.client, this.domainTable, orgId).check(pk);
    return pk;
  }

  async acquire(orgId: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const acquired = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.domainTable,
          Item: {
            PK: this.pk(orgId),
            SK: name,
            owner,
            lockedUntil: now + ttlMs,
            expiresAt: epochSeconds(new Date(now + ttlMs + 3_600_000)),
          },
          ConditionExpression: 'attribute_not_exists(PK) OR lockedUntil < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
    return acquired !== undefined;
  }

  async release(orgId: string, name: string, owner: string): Promise<void> {
    // A lease that passed to another owner is theirs to release.
    await ifConditionHolds(
      this.client.send(
        new DeleteCommand({
          TableName: this.domainTable,
          Key: { PK: this.pk(orgId), SK: name },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }
}
