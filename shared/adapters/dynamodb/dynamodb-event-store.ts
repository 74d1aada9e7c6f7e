import type { CanonicalEvent } from '../../events/canonical-event';
import { CanonicalEventSchema } from '../../events/canonical-event';
import type { EventStore, Page, PageRequest } from '../../ports/stores';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

/** Events stay in the feed for 90 days; the bus archive keeps them for replay beyond that. */
const FEED_RETENTION_DAYS = 90;

export class DynamoDbEventStore implements EventStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async put(event: CanonicalEvent): Promise<'stored' | 'duplicate'> {
    const table = new TenantScopedTable(this.client, this.domainTable, event.tenantId);
    const expires = new Date(event.receivedAt).getTime() + FEED_RETENTION_DAYS * 86_400_000;
    const stored = await table.putIfAbsent({
      PK: tenantPk(event.tenantId, TENANT_COLLECTIONS.events),
      // The event id is a ULID, so the sort key orders the feed by time.
      SK: event.id,
      event,
      expiresAt: epochSeconds(new Date(expires)),
    });
    return stored ? 'stored' : 'duplicate';
  }

  async list(orgId: string, page: PageRequest): Promise<Page<CanonicalEvent>> {
    const table = new TenantScopedTable(this.client, this.domainTable, orgId);
    const result = await table.queryPage(tenantPk(orgId, TENANT_COLLECTIONS.events), page);
    return {
      items: result.items.map((item) => CanonicalEventSchema.parse(item.event)),
      nextCursor: result.nextCursor,
    };
  }
}
