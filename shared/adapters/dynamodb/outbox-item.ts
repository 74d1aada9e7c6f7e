import type { CanonicalEvent } from '../../events/canonical-event';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { TenantScopedTable, TransactItem } from './tenant-scoped-table';

/** An outbox item outlives its publication by far: the stream reads it within seconds. */
const KEEP_MS = 7 * 86_400_000;

/**
 * The put of an event into its org's outbox, for the transaction of the change it announces: the
 * table's stream publishes it as written (the transactional outbox), so a change is never
 * committed unannounced nor announced uncommitted.
 */
export function outboxPut(table: TenantScopedTable, event: CanonicalEvent, now: Date): TransactItem {
  return table.putItem({
    PK: tenantPk(table.orgId, TENANT_COLLECTIONS.outbox),
    SK: event.id,
    id: event.id,
    event: JSON.stringify(event),
    expiresAt: epochSeconds(new Date(now.getTime() + KEEP_MS)),
  });
}
