import type { PoolAccountBindings } from '../../identity/pool-accounts';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

const SUB = /^[A-Za-z0-9-]{1,128}$/;

/** Pool account bindings in the org's partition, one item per account `sub`, put only if absent. */
export class DynamoDbPoolAccounts implements PoolAccountBindings {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private key(orgId: string, sub: string) {
    if (!SUB.test(sub)) throw new Error('Not a user pool account id');
    return {
      table: new TenantScopedTable(this.client, this.domainTable, orgId),
      pk: tenantPk(orgId, TENANT_COLLECTIONS.poolAccounts),
      sk: sub,
    };
  }

  async userOf(orgId: string, sub: string): Promise<string | null> {
    const { table, pk, sk } = this.key(orgId, sub);
    const item = await table.get(pk, sk, { consistent: true });
    return typeof item?.userId === 'string' ? item.userId : null;
  }

  async bind(orgId: string, sub: string, userId: string, at: Date): Promise<string> {
    const { table, pk, sk } = this.key(orgId, sub);
    if (await table.putIfAbsent({ PK: pk, SK: sk, userId, boundAt: at.toISOString() })) return userId;
    // Two first sign-ins side by side: the other bound it.
    const bound = await this.userOf(orgId, sub);
    if (!bound) throw new Error('The user pool account binding could not be read');
    return bound;
  }
}
