import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import type { CanonicalEvent } from '../events/canonical-event';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { MeteredUnit, OrgStore, UsageStore } from '../ports/stores';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The same org and hour always give the same event id, so a re-run publishes nothing new downstream. */
function usageEventId(orgId: string, hourStart: Date): string {
  const digest = createHash('sha256').update(orgId).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD.charAt((digest[i] ?? 0) % 32);
  return `evt_${encodeTime(hourStart.getTime(), 10)}${random}`;
}

/**
 * Meters the last full hour for every org: sums its billable units, keeps the hourly aggregate
 * (queryable through the API) and emits `usage.recorded` on the bus for a billing system.
 */
export function makeMeterUsage(deps: {
  orgs: OrgStore;
  usage: UsageStore;
  publisher: EventPublisher;
  clock: Clock;
}) {
  return async (): Promise<{ hour: string; orgs: number; published: number }> => {
    const now = deps.clock.now();
    const hourStart = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - 3_600_000);
    let orgs = 0;
    let published = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.orgs.list({ limit: 100, cursor });
      for (const org of page.items) {
        if (org.status === 'deleted') continue;
        const totals: Record<MeteredUnit, number> = await deps.usage.hourTotals(org.id, hourStart);
        await deps.usage.saveHour(org.id, hourStart, totals);
        orgs++;
        if (totals.apiRequests + totals.webhookEvents === 0) continue;
        const event: CanonicalEvent = {
          id: usageEventId(org.id, hourStart),
          type: 'usage.recorded',
          source: { provider: 'hub', connectionId: 'hub' },
          tenantId: org.id,
          occurredAt: new Date(hourStart.getTime() + 3_600_000).toISOString(),
          receivedAt: deps.clock.now().toISOString(),
          correlationId: `meter:${hourStart.toISOString()}`,
          data: { hour: hourStart.toISOString(), plan: org.plan, ...totals },
          raw: { deliveryId: `meter:${org.id}:${hourStart.toISOString()}`, sha256: '' },
        };
        await deps.publisher.publish([event]);
        published++;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { hour: hourStart.toISOString(), orgs, published };
  };
}
