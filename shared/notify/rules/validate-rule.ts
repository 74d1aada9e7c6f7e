import type { FieldIssue } from '../../errors';
import { ValidationError } from '../../errors';
import type { ConnectionStore, TeamStore, UserStore } from '../../ports/stores';
import { conditionsNeverCarried, fieldsOfType, typesMatching } from './match';
import type { EndpointLookup } from './ports';
import type { NotificationRule } from './rule';

export interface RuleReferences {
  readonly endpoints: EndpointLookup;
  readonly users: Pick<UserStore, 'get'>;
  readonly teams: Pick<TeamStore, 'get'>;
  readonly connections: Pick<ConnectionStore, 'get'>;
}

const CUSTOM = 'custom.';
/** A generic sender's own types are not listed anywhere: any pattern under their prefix may name them. */
const reachesCustom = (pattern: string) => pattern.startsWith(CUSTOM);

/**
 * What the schema cannot say about a rule: every pattern names event types the hub emits, every
 * condition reads a field some of those types carry, and every destination, user, team and
 * connection it names exists in the org. Throws a ValidationError listing each reason.
 */
export async function validateRule(
  rule: Pick<NotificationRule, 'orgId' | 'eventTypes' | 'conditions' | 'destinations'>,
  refs: RuleReferences,
  /** Which references to look up: a change leaves alone those it does not set (a gone endpoint does not stop a rule being disabled). */
  lookUp: { readonly destinations: boolean; readonly connections: boolean } = {
    destinations: true,
    connections: true,
  },
): Promise<void> {
  const issues: FieldIssue[] = [];
  const types = new Set<string>();
  rule.eventTypes.forEach((pattern, i) => {
    const matched = typesMatching(pattern);
    for (const t of matched) types.add(t);
    if (matched.length === 0 && !reachesCustom(pattern)) {
      issues.push({
        path: `eventTypes.${i}`,
        message: `${pattern} names no event type the hub emits (custom types start with ${CUSTOM})`,
      });
    }
  });
  if (issues.length === 0) {
    for (const field of conditionsNeverCarried(rule.conditions, [...types])) {
      const carriers = [...new Set(typesMatchingField(field))].join(', ');
      issues.push({
        path: `conditions.${field}`,
        message: `none of the rule's event types carries this field (${carriers} do), so the rule could never match`,
      });
    }
  }
  const { orgId } = rule;
  const checks: Promise<FieldIssue | null>[] = [];
  const check = (path: string, exists: Promise<boolean>, message: string): void => {
    checks.push(exists.then((found) => (found ? null : { path, message })));
  };
  for (const [i, d] of lookUp.destinations ? rule.destinations.entries() : []) {
    if (d.kind === 'webhook_endpoint') {
      check(
        `destinations.${i}.endpointId`,
        refs.endpoints.get(orgId, d.endpointId).then((e) => e !== null),
        `no webhook endpoint ${d.endpointId} in this organisation`,
      );
      continue;
    }
    if (d.kind === 'chat') {
      check(
        `destinations.${i}.connectionId`,
        refs.connections.get(orgId, d.connectionId).then((c) => c !== null),
        `no connection ${d.connectionId} in this organisation`,
      );
      continue;
    }
    for (const [j, id] of (d.userIds ?? []).entries()) {
      check(
        `destinations.${i}.userIds.${j}`,
        refs.users.get(orgId, id).then((u) => u !== null),
        `no user ${id} in this organisation`,
      );
    }
    for (const [j, id] of (d.teamIds ?? []).entries()) {
      check(
        `destinations.${i}.teamIds.${j}`,
        refs.teams.get(orgId, id).then((t) => t !== null),
        `no team ${id} in this organisation`,
      );
    }
  }
  for (const [j, id] of (lookUp.connections ? (rule.conditions.connectionIds ?? []) : []).entries()) {
    check(
      `conditions.connectionIds.${j}`,
      refs.connections.get(orgId, id).then((c) => c !== null),
      `no connection ${id} in this organisation`,
    );
  }
  for (const issue of await Promise.all(checks)) if (issue) issues.push(issue);
  if (issues.length > 0) {
    throw new ValidationError(
      `The rule is not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
}

/** The families of canonical types that carry a field, for the error message. */
function typesMatchingField(field: string): string[] {
  return typesMatching('*')
    .filter((t) => (fieldsOfType(t) as readonly string[]).includes(field))
    .map((t) => `${t.split('.')[0]}.*`);
}
