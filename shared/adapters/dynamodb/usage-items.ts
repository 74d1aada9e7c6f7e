import type { QuotaClaim } from '../../ports/stores';
import type { CountedResource } from '../../tenancy/plans';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { TenantScopedTable, TransactItem } from './tenant-scoped-table';

/** The org's counts of held resources live on one item, next to its rate windows. */
export const usagePk = (orgId: string) => tenantPk(orgId, TENANT_COLLECTIONS.usage);
export const TOTALS_SK = 'TOTALS';

/** Counts one more of the resource, in the same transaction as its creation; fails at the limit. */
export function claimQuota(table: TenantScopedTable, claim: QuotaClaim): TransactItem {
  return table.updateItem(usagePk(table.orgId), TOTALS_SK, {
    update: 'ADD #count :one',
    condition: 'attribute_not_exists(#count) OR #count < :limit',
    names: { '#count': claim.resource },
    values: { ':one': 1, ':limit': claim.limit },
  });
}

/** Counts one fewer, in the same transaction as the removal. */
export function releaseQuota(table: TenantScopedTable, resource: CountedResource): TransactItem {
  return table.updateItem(usagePk(table.orgId), TOTALS_SK, {
    update: 'ADD #count :minusOne',
    condition: '#count > :zero',
    names: { '#count': resource },
    values: { ':minusOne': -1, ':zero': 0 },
  });
}
