import type { AccessStore } from '../ports/stores';
import { TENANT_CACHE_SECONDS } from '../tenancy/tenant-directory';
import { TtlCache } from '../ttl-cache';
import type { OrgAccess } from './org-access';

/**
 * Each org's custom roles and policies for the request gate, cached per execution environment
 * with the same bound as the tenant cache: a change applies everywhere within seconds.
 */
export class AccessDirectory {
  private readonly cache: TtlCache<OrgAccess>;

  constructor(
    private readonly store: Pick<AccessStore, 'get'>,
    ttlSeconds = TENANT_CACHE_SECONDS,
  ) {
    this.cache = new TtlCache(ttlSeconds * 1000, 10_000);
  }

  async get(orgId: string): Promise<OrgAccess> {
    const cached = this.cache.get(orgId);
    if (cached !== undefined) return cached;
    return this.cache.set(orgId, (await this.store.get(orgId)).value);
  }
}
