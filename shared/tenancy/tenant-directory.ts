import type { OrgStore } from '../ports/stores';
import { TtlCache } from '../ttl-cache';
import type { Org } from './org';

/** How long a resolved tenant is trusted: a suspension or a new IP allow-list applies within this bound. */
export const TENANT_CACHE_SECONDS = 5;

/**
 * Resolves an org's status and access settings for every authenticated request, cached per
 * execution environment so the hot path does not read the table each time.
 */
export class TenantDirectory {
  private readonly cache: TtlCache<Org | null>;

  constructor(
    private readonly orgs: OrgStore,
    ttlSeconds = TENANT_CACHE_SECONDS,
  ) {
    this.cache = new TtlCache(ttlSeconds * 1000, 10_000);
  }

  async get(orgId: string): Promise<Org | null> {
    const cached = this.cache.get(orgId);
    if (cached !== undefined) return cached;
    return this.cache.set(orgId, await this.orgs.get(orgId));
  }
}
