import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError } from '../../errors';
import type { MailSuppression, MailSuppressionStore } from '../../notify/email/ports';
import type { Page, PageRequest } from '../../ports/stores';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

/** An org's suppressed addresses under its partition, keyed by the lower-case address. */
export class DynamoDbMailSuppressionStore implements MailSuppressionStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.mailSuppressions);
  }

  async suppress(orgId: string, suppression: MailSuppression, audit: AuditRecord): Promise<boolean> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const address = suppression.address.toLowerCase();
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: this.pk(orgId), SK: address, ...suppression, address }),
      auditPut(this.tables.auditTable, audit),
    ]);
    // Already suppressed (the item), or the same feedback handled before (its once-only audit id).
    return failed.length === 0;
  }

  async suppressed(orgId: string, addresses: readonly string[]): Promise<Set<string>> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    table.check(this.pk(orgId));
    const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
    const found = new Set<string>();
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((address) => ({ PK: this.pk(orgId), SK: address }));
      for (let round = 0; keys && keys.length > 0 && round < 5; round++) {
        const out = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.domainTable]: { Keys: keys, ProjectionExpression: 'SK' } },
          }),
        );
        for (const item of out.Responses?.[this.tables.domainTable] ?? []) found.add(String(item.SK));
        keys = out.UnprocessedKeys?.[this.tables.domainTable]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<MailSuppression>> {
    const out = await new TenantScopedTable(this.client, this.tables.domainTable, orgId).queryPage(
      this.pk(orgId),
      page,
    );
    return {
      items: out.items.map((item) => ({
        address: String(item.address),
        reason: item.reason as MailSuppression['reason'],
        detail: typeof item.detail === 'string' ? item.detail : null,
        suppressedAt: String(item.suppressedAt),
      })),
      nextCursor: out.nextCursor,
    };
  }

  async remove(orgId: string, address: string, audit: AuditRecord): Promise<void> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    table.check(this.pk(orgId));
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: this.pk(orgId), SK: address.toLowerCase() },
          // A complaint or an unsubscribe is the recipient's word: only a bounce is the org's to lift.
          ConditionExpression: 'attribute_exists(PK) AND #reason = :bounce',
          ExpressionAttributeNames: { '#reason': 'reason' },
          ExpressionAttributeValues: { ':bounce': 'bounce' },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) {
      const found = await this.client.send(
        new GetCommand({
          TableName: this.tables.domainTable,
          Key: { PK: this.pk(orgId), SK: address.toLowerCase() },
          ConsistentRead: true,
        }),
      );
      if (!found.Item) throw new NotFoundError(`${address} is not suppressed`);
      throw new ConflictError(
        `${address} is suppressed because of a ${String(found.Item.reason)}: that is the recipient's choice, not the org's to lift`,
      );
    }
    if (failed.length > 0) throw new Error('The suppression could not be lifted');
  }
}
