import type { CanonicalEvent } from '../../events/canonical-event';
import { CanonicalEventSchema } from '../../events/canonical-event';
import type { EventStore, Page, PageRequest } from '../../ports/stores';
import { dataRetentionDays, expiresAfter } from '../../tenancy/retention';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

export class DynamoDbEventStore implements EventStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async put(event: CanonicalEvent): Promise<'stored' | 'duplicate'> {
    const table = new TenantScopedTable(this.client, this.domainTable, event.tenantId);
    const stored = await table.putIfAbsent({
      PK: tenantPk(event.tenantId, TENANT_COLLECTIONS.events),
      // The event id is a ULID, so the sort key orders the feed by time.
      SK: event.id,
      event,
      // Kept for the org's retention from when the hub received it (a redelivery expires with the first).
      expiresAt: expiresAfter(event.receivedAt, dataRetentionDays(event.tenantId)),
    });
    return stored ? 'stored' : 'duplicate';
  }

  async get(orgId: string, eventId: string): Promise<CanonicalEvent | undefined> {
    const table = new TenantScopedTable(this.client, this.domainTable, orgId);
    const item = await table.get(tenantPk(orgId, TENANT_COLLECTIONS.events), eventId);
    return item ? CanonicalEventSchema.parse(item.event) : undefined;
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
