import type {
  BuildEventData,
  CommentEventData,
  PipelineEventData,
  PullRequestEventData,
  PushEventData,
  RefEventData,
  ReleaseEventData,
  ReviewEventData,
  WorkItemEventData,
} from '../../events/canonical';
import { CANONICAL_TYPES, canonicalData, isCanonicalType } from '../../events/canonical';
import type { Person } from '../../events/canonical/people';
import type { CanonicalEvent } from '../../events/canonical-event';
import { matchesType } from '../model';
import type { ConditionField, NotificationRule, RuleConditions } from './rule';

/** The fields of an event's content a condition reads; the source (provider, connection) every event has. */
type ContentField = Exclude<ConditionField, 'providers' | 'connectionIds'>;

/** What the conditions read of one event, read once per event whatever the number of rules. */
export interface EventFacts {
  readonly type: string;
  readonly provider: string;
  readonly connectionId: string;
  /** Each field the event's type carries; absent: the type has no such field; null: this event has none. */
  readonly containers?: string | null;
  readonly labels?: readonly string[];
  readonly statusCategories?: string;
  readonly assignees?: Person | null;
  readonly authors?: Person | null;
}

type Content = Omit<EventFacts, 'type' | 'provider' | 'connectionId'>;

const family = <D>(fields: readonly ContentField[], facts: (data: D) => Content) => ({ fields, facts });

/** Per family of canonical types (the part before the dot): the fields it carries and where. */
const FAMILIES: Record<string, { fields: readonly ContentField[]; facts: (data: never) => Content }> = {
  work_item: family<WorkItemEventData>(
    ['containers', 'labels', 'statusCategories', 'assignees', 'authors'],
    ({ item }) => ({
      containers: item.container,
      labels: item.labels,
      statusCategories: item.status.category,
      assignees: item.assignee,
      authors: item.creator ?? item.reporter,
    }),
  ),
  comment: family<CommentEventData>(['containers', 'authors'], (d) => ({
    containers: d.on.container,
    authors: d.comment.author,
  })),
  pull_request: family<PullRequestEventData>(['containers', 'authors'], (d) => ({
    containers: d.pullRequest.container,
    authors: d.pullRequest.author,
  })),
  review: family<ReviewEventData>(['containers', 'authors'], (d) => ({
    containers: d.pullRequest.container,
    authors: d.review.author,
  })),
  branch: family<RefEventData>(['containers'], (d) => ({ containers: d.container })),
  tag: family<RefEventData>(['containers'], (d) => ({ containers: d.container })),
  push: family<PushEventData>(['containers'], (d) => ({ containers: d.container })),
  pipeline: family<PipelineEventData>(['containers'], (d) => ({ containers: d.pipeline.container })),
  build: family<BuildEventData>(['containers'], (d) => ({ containers: d.build.container })),
  release: family<ReleaseEventData>(['containers'], (d) => ({ containers: d.release.container })),
  sprint: family<unknown>([], () => ({})),
};

const familyOf = (type: string) => FAMILIES[type.split('.')[0] ?? ''];

/** The content fields events of this type carry (none for a custom type). */
export function fieldsOfType(type: string): readonly ContentField[] {
  return isCanonicalType(type) ? (familyOf(type)?.fields ?? []) : [];
}

/** The canonical types a pattern matches. */
export const typesMatching = (pattern: string): string[] =>
  CANONICAL_TYPES.filter((t) => matchesType(pattern, t));

/**
 * Reads what conditions look at from an event. The data is read through its type's schema, so a
 * custom type (or data that does not fit its type) carries only its source.
 */
export function eventFacts(event: CanonicalEvent): EventFacts {
  const source = {
    type: event.type,
    provider: event.source.provider,
    connectionId: event.source.connectionId,
  };
  const data = isCanonicalType(event.type) ? canonicalData(event) : null;
  const fam = familyOf(event.type);
  if (data === null || !fam) return source;
  return { ...source, ...fam.facts(data as never) };
}

/** A rule's conditions compiled for matching: values lower-cased once, looked up in sets. */
export interface CompiledRule {
  readonly rule: NotificationRule;
  readonly eventTypes: readonly string[];
  readonly checks: readonly { readonly field: ConditionField; readonly values: ReadonlySet<string> }[];
}

const lower = (values: readonly string[]) => new Set(values.map((v) => v.toLowerCase()));

export function compileRule(rule: NotificationRule): CompiledRule {
  const checks = (Object.entries(rule.conditions) as [ConditionField, string[] | undefined][])
    .filter((entry): entry is [ConditionField, string[]] => Array.isArray(entry[1]) && entry[1].length > 0)
    .map(([field, values]) => ({
      field,
      values: field === 'connectionIds' ? new Set(values) : lower(values),
    }));
  return { rule, eventTypes: rule.eventTypes, checks };
}

const WHAT: Record<ConditionField, string> = {
  containers: 'project or repository',
  labels: 'labels',
  statusCategories: 'status category',
  assignees: 'assignee',
  authors: 'author',
  providers: 'provider',
  connectionIds: 'connection',
};

const personMatches = (person: Person, values: ReadonlySet<string>) =>
  (person.login !== null && values.has(person.login.toLowerCase())) ||
  (person.email !== undefined && values.has(person.email.toLowerCase()));

const personName = (p: Person) => p.login ?? p.email ?? p.name ?? p.id;

/** Whether one condition holds for these facts: the hot path, allocating nothing. */
function holds(field: ConditionField, values: ReadonlySet<string>, facts: EventFacts): boolean {
  if (field === 'providers') return values.has(facts.provider.toLowerCase());
  if (field === 'connectionIds') return values.has(facts.connectionId);
  const value = facts[field];
  if (value === null || value === undefined) return false;
  if (field === 'labels') return (value as readonly string[]).some((l) => values.has(l.toLowerCase()));
  if (field === 'assignees' || field === 'authors') return personMatches(value as Person, values);
  return values.has(String(value).toLowerCase());
}

/** Why one condition fails for these facts, or null when it holds. */
function failure(field: ConditionField, values: ReadonlySet<string>, facts: EventFacts): string | null {
  if (holds(field, values, facts)) return null;
  const wanted = [...values].join(', ');
  if (field === 'providers') return `providers: ${facts.provider} is none of ${wanted}`;
  if (field === 'connectionIds') return `connectionIds: ${facts.connectionId} is none of ${wanted}`;
  if (!(field in facts)) return `${field}: ${facts.type} events carry no ${WHAT[field]}`;
  const value = facts[field];
  if (value === null || value === undefined) return `${field}: the event has no ${WHAT[field]}`;
  if (field === 'labels') {
    const labels = value as readonly string[];
    return `labels: the item's labels (${labels.join(', ') || 'none'}) include none of ${wanted}`;
  }
  if (field === 'assignees' || field === 'authors') {
    return `${field}: ${personName(value as Person)} is none of ${wanted}`;
  }
  return `${field}: ${String(value)} is none of ${wanted}`;
}

/** Whether the rule matches (its type patterns, then every condition), stopping at the first failure. */
export function ruleMatches(rule: CompiledRule, facts: EventFacts): boolean {
  if (!rule.eventTypes.some((p) => matchesType(p, facts.type))) return false;
  return rule.checks.every((c) => holds(c.field, c.values, facts));
}

/** Whether the rule matches, and every reason it does not (for trying a rule). */
export function explainMatch(rule: CompiledRule, facts: EventFacts): { matched: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (!rule.eventTypes.some((p) => matchesType(p, facts.type))) {
    reasons.push(`eventTypes: ${facts.type} matches none of ${rule.eventTypes.join(', ')}`);
  }
  for (const check of rule.checks) {
    const why = failure(check.field, check.values, facts);
    if (why) reasons.push(why);
  }
  return { matched: reasons.length === 0, reasons };
}

/** The content conditions none of these types carries, so they could never hold. */
export function conditionsNeverCarried(
  conditions: RuleConditions,
  types: readonly string[],
): ConditionField[] {
  return (Object.keys(conditions) as ConditionField[]).filter(
    (field) =>
      conditions[field] !== undefined &&
      field !== 'providers' &&
      field !== 'connectionIds' &&
      !types.some((t) => fieldsOfType(t).includes(field)),
  );
}
