import type { ApiKeyStore, TeamStore, UserStore } from '../ports/stores';
import type { Team, TeamMembership } from '../tenancy/team';
import { TENANT_CACHE_SECONDS } from '../tenancy/tenant-directory';
import { TtlCache } from '../ttl-cache';
import type { AccessFacts, AccessRequest } from './evaluate-access';
import { resourceNeeds } from './evaluate-access';

/**
 * Loads what an org's policies may look at: its teams and the principal's memberships (cached with
 * the tenant cache's bound), the principal's own key, and the user or key the route addresses.
 * Only orgs that have policies pay for these reads.
 */
export class AccessFactsLoader {
  private readonly teams = new TtlCache<readonly Team[]>(TENANT_CACHE_SECONDS * 1000, 1000);
  private readonly memberships = new TtlCache<readonly TeamMembership[]>(TENANT_CACHE_SECONDS * 1000, 10_000);

  constructor(
    private readonly deps: {
      teams: Pick<TeamStore, 'all' | 'membershipsOf'>;
      users: Pick<UserStore, 'get'>;
      keys: Pick<ApiKeyStore, 'get'>;
    },
  ) {}

  async load(request: AccessRequest): Promise<AccessFacts> {
    const { principal } = request;
    const orgId = principal.orgId;
    const needs = resourceNeeds(request.path);
    const [teams, memberships, principalKey, resourceUser, resourceKey] = await Promise.all([
      this.cached(this.teams, orgId, () => this.deps.teams.all(orgId)),
      principal.type === 'user'
        ? this.cached(this.memberships, `${orgId}/${principal.id}`, () =>
            this.deps.teams.membershipsOf(orgId, principal.id),
          )
        : Promise.resolve([]),
      principal.type === 'api_key' ? this.deps.keys.get(orgId, principal.id) : Promise.resolve(null),
      needs.userId ? this.deps.users.get(orgId, needs.userId) : Promise.resolve(null),
      needs.keyId ? this.deps.keys.get(orgId, needs.keyId) : Promise.resolve(null),
    ]);
    return { teams, memberships, principalKey, resourceUser, resourceKey };
  }

  private async cached<V>(cache: TtlCache<V>, key: string, load: () => Promise<V>): Promise<V> {
    const hit = cache.get(key);
    return hit !== undefined ? hit : cache.set(key, await load());
  }
}
