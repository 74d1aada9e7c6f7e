import type { AuditRecord } from '../../audit/audit-record';
import type { Page, PageRequest, QuotaClaim, Versioned } from '../../ports/stores';
import type { NotificationRule } from './rule';

/** An org's notification rules. */
export interface NotificationRuleStore {
  /** Stores the rule, counts it against the quota, with the audit record, atomically; QuotaExceededError at the limit. */
  create(rule: NotificationRule, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  get(orgId: string, ruleId: string): Promise<Versioned<NotificationRule> | null>;
  /** A page of the org's rules, newest first. */
  list(orgId: string, page: PageRequest): Promise<Page<NotificationRule>>;
  /** Every enabled rule of the org (bounded by the plan's rule limit). */
  listEnabled(orgId: string): Promise<NotificationRule[]>;
  /** Replaces the rule if it is still at `expectedVersion`, with the audit record; ConflictError otherwise. */
  save(rule: NotificationRule, expectedVersion: number, audit: AuditRecord): Promise<void>;
  /** Removes the rule and releases its quota, with the audit record; NotFoundError if there is none. */
  remove(orgId: string, ruleId: string, audit: AuditRecord): Promise<void>;
}

/**
 * Whether a webhook endpoint exists in the org: all a rule naming it needs to know. The webhook
 * endpoints' store is one (its `get`).
 */
export interface EndpointLookup {
  get(orgId: string, endpointId: string): Promise<object | null>;
}

/** Until the webhook endpoints' store is wired, an org has no endpoint for a rule to name. */
export const noEndpoints: EndpointLookup = { get: async () => null };
