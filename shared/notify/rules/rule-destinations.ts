import type { CanonicalEvent } from '../../events/canonical-event';
import { TtlCache } from '../../ttl-cache';
import type { Destination, RuleDestinations } from '../model';
import type { CompiledRule } from './match';
import { compileRule, eventFacts, ruleMatches } from './match';
import type { NotificationRuleStore } from './ports';

/** How long an org's rules are reused before they are read again: a changed rule applies within this. */
export const RULE_CACHE_MS = 5_000;
/** Orgs whose rules one execution environment keeps at once (the oldest goes first). */
export const RULE_CACHE_ORGS = 1_000;

/**
 * The destinations an org's enabled rules give an event: the rules are read once per org every few
 * seconds (one read in flight per org), the event's fields once per event, then each rule is one
 * pass over its patterns and conditions. Expects the whole event (a claim-checked one resolved).
 */
export class CachedRuleDestinations implements RuleDestinations {
  private readonly cache: TtlCache<Promise<readonly CompiledRule[]>>;

  constructor(
    private readonly rules: Pick<NotificationRuleStore, 'listEnabled'>,
    options: { ttlMs?: number; maxOrgs?: number } = {},
  ) {
    this.cache = new TtlCache(options.ttlMs ?? RULE_CACHE_MS, options.maxOrgs ?? RULE_CACHE_ORGS);
  }

  private rulesOf(orgId: string): Promise<readonly CompiledRule[]> {
    const cached = this.cache.get(orgId);
    if (cached) return cached;
    const loading = this.rules.listEnabled(orgId).then((rules) => rules.map(compileRule));
    // A failed read is not kept: the next event reads again.
    loading.catch(() => {
      if (this.cache.get(orgId) === loading) this.cache.delete(orgId);
    });
    return this.cache.set(orgId, loading);
  }

  async destinationsFor(
    event: CanonicalEvent,
  ): Promise<readonly { readonly ruleId: string; readonly destination: Destination }[]> {
    const rules = await this.rulesOf(event.tenantId);
    if (rules.length === 0) return [];
    const facts = eventFacts(event);
    return rules
      .filter((r) => r.rule.enabled && ruleMatches(r, facts))
      .flatMap((r) => r.rule.destinations.map((destination) => ({ ruleId: r.rule.id, destination })));
  }
}
