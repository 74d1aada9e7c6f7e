import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import type { ScimGroupStore } from '../../ports/stores';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const PAGE = 100;

/**
 * The `externalId` an IdP gave each group, under `T#<org>#SCIMGROUP` by team id; the groups
 * themselves are the team store's teams, so a team deleted in the hub leaves an id nothing shows.
 */
export class DynamoDbScimGroupStore implements ScimGroupStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private pk = (orgId: string) => tenantPk(orgId, TENANT_COLLECTIONS.scimGroups);

  async externalIdOf(orgId: string, teamId: string): Promise<string | null> {
    const item = await this.table(orgId).get(this.pk(orgId), teamId, { consistent: true });
    return typeof item?.externalId === 'string' ? item.externalId : null;
  }

  async externalIds(orgId: string): Promise<Map<string, string>> {
    const table = this.table(orgId);
    const out = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = await table.queryPage(this.pk(orgId), { limit: PAGE, cursor });
      for (const item of page.items) {
        if (typeof item.externalId === 'string') out.set(String(item.SK), item.externalId);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  async setExternalId(
    orgId: string,
    teamId: string,
    externalId: string | null,
    at: string,
    audit: AuditRecord,
  ): Promise<void> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    table.check(pk);
    const write: TransactItem =
      externalId === null
        ? { Delete: { TableName: this.tables.domainTable, Key: { PK: pk, SK: teamId } } }
        : {
            Put: {
              TableName: this.tables.domainTable,
              Item: { PK: pk, SK: teamId, orgId, teamId, externalId, updatedAt: at },
            },
          };
    await transactWrite(this.client, [write, auditPut(this.tables.auditTable, audit)]);
  }
}
