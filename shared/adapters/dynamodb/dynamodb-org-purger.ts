import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { OrgPurger } from '../../ports/stores';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

type Key = { PK: string; SK: string };

/** The tenant collections a purge empties. The audit trail is another table, kept for its retention period. */
const PURGED = ['apiKeys', 'connections', 'events', 'usage', 'org'] as const;

/**
 * Deletes every item of an org from the domain table, collection by collection (queries, never a
 * scan), and the platform items that point at it: credential lookups, webhook routes, its slug,
 * its directory entry. Idempotent: a purge interrupted half-way finishes on the next run.
 */
export class DynamoDbOrgPurger implements OrgPurger {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async purge(orgId: string): Promise<Record<string, number>> {
    const table = new TenantScopedTable(this.client, this.domainTable, orgId);
    const removed: Record<string, number> = {};
    const platform: Key[] = [{ PK: platformPk('ORGS', 'ALL'), SK: orgId }];
    for (const collection of PURGED) {
      const pk = tenantPk(orgId, TENANT_COLLECTIONS[collection]);
      let count = 0;
      let cursor: string | undefined;
      do {
        const page = await table.queryPage(pk, { limit: 100, cursor });
        for (const item of page.items) {
          if (typeof item.keyHash === 'string')
            platform.push({ PK: platformPk('APIKEY', item.keyHash), SK: 'GRANT' });
          if (collection === 'connections')
            platform.push({ PK: platformPk('WEBHOOK', String(item.SK)), SK: 'ROUTE' });
          if (collection === 'org' && typeof item.slug === 'string')
            platform.push({ PK: platformPk('SLUG', item.slug), SK: 'CLAIM' });
        }
        // Platform pointers go before the items they point from, so a retry can still find them.
        await this.deleteAll(platform.splice(0));
        await this.deleteAll(page.items.map((i) => ({ PK: String(i.PK), SK: String(i.SK) })));
        count += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      removed[collection] = count;
    }
    return removed;
  }

  private async deleteAll(keys: Key[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      while (pending.length > 0) {
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.domainTable]: pending } }),
        );
        pending = (out.UnprocessedItems?.[this.domainTable] ?? []) as typeof pending;
      }
    }
  }
}
