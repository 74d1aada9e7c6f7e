import { approvalEvent } from '../../approvals/events';
import type { CanonicalType, Normalised, Person, WorkItem } from '../../events/canonical';
import { canonicalEvent } from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { RuleConditions } from './rule';

/** The connection a sample names when the rule names none: a sample comes through no real connection. */
export const SAMPLE_CONNECTION_ID = 'con_00000000000000000000000000';
/** The provider a sample names when the rule names none. */
export const SAMPLE_PROVIDER = 'sample';

const AT = '2026-01-15T10:30:00.000Z';

/** A person a condition names (a login, or an email when it has an @), or a default one. */
function person(ref: string | undefined, fallback: string, id: string): Person {
  if (ref?.includes('@')) return { id, login: ref.split('@')[0] ?? fallback, email: ref, name: null };
  return { id, login: ref ?? fallback, name: null };
}

/**
 * A realistic event of a canonical type, shaped to the rule's conditions where it can be (its
 * project or repository, a label, the status category, the people, the provider and connection),
 * so trying a rule shows what it would send. Built like any normalised delivery: valid against
 * its type's schema.
 */
export function sampleEvent(
  orgId: string,
  type: CanonicalType,
  conditions: RuleConditions,
  at: Date,
): CanonicalEvent {
  const container = conditions.containers?.[0] ?? 'acme/web';
  const actor = person(undefined, 'ada', 'u-1');
  const author = person(conditions.authors?.[0], 'ada', 'u-1');
  const assignee = person(conditions.assignees?.[0], 'grace', 'u-2');
  const family = type.split('.')[0];
  // The hub's own: an approval as an agent asks it (and as it is resolved), from the hub's source.
  if (family === 'approval') return sampleApproval(orgId, type, at);
  const url = `https://example.com/${container}`;
  const pullRequest = {
    id: 'pr-42',
    number: 42,
    key: `${container}#42`,
    url: `${url}/pull/42`,
    container,
    title: 'Add rate limiting to the public API',
    description: 'Limits each client to 100 requests a minute. Fixes WEB-12.',
    state: type === 'pull_request.merged' ? 'merged' : type === 'pull_request.closed' ? 'closed' : 'open',
    draft: false,
    sourceBranch: 'WEB-12-rate-limits',
    targetBranch: 'main',
    author,
    reviewers: [person(undefined, 'grace', 'u-2')],
    mentions: ['WEB-12'],
    createdVia: null,
    createdAt: AT,
    updatedAt: AT,
    mergedAt: type === 'pull_request.merged' ? AT : null,
  } as const;
  const item: WorkItem = {
    id: '10042',
    key: `${container.toUpperCase().replace(/[^A-Z0-9]/g, '')}-12`,
    url: `${url}/items/12`,
    container,
    type: 'Task',
    title: 'Rate-limit the public API',
    description: 'Clients should get **429** with `Retry-After` past 100 requests a minute.',
    status: {
      name:
        conditions.statusCategories?.[0] === 'done'
          ? 'Done'
          : conditions.statusCategories?.[0] === 'todo'
            ? 'To Do'
            : 'In Progress',
      category: conditions.statusCategories?.[0] ?? 'in_progress',
    },
    assignee,
    reporter: author,
    labels: conditions.labels ? [conditions.labels[0] as string] : ['api'],
    priority: 'High',
    dueDate: '2026-01-31',
    parent: null,
    createdVia: null,
    createdAt: AT,
    updatedAt: AT,
  };
  const run = (state: 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled') => ({
    id: 'run-7',
    name: 'ci',
    state,
    status: state,
    ref: 'main',
    sha: '3f2c1a9',
    url: `${url}/runs/7`,
    container,
    startedAt: AT,
    finishedAt: state === 'pending' || state === 'running' ? null : AT,
  });
  const suffix = type.split('.')[1] ?? '';
  let data: Record<string, unknown>;
  switch (family) {
    case 'work_item':
      data = {
        actor,
        item,
        changedFields: ['status'],
        changes: [{ field: 'status', from: 'To Do', to: item.status.name }],
      };
      break;
    case 'comment':
      data = {
        actor,
        comment: {
          id: 'c-9',
          body: 'Looks good to me.',
          author,
          url: `${url}/items/12#c-9`,
          createdVia: null,
          createdAt: AT,
          updatedAt: AT,
        },
        on: { kind: 'work_item', id: item.id, key: item.key, url: item.url, container },
      };
      break;
    case 'pull_request':
      data = { actor, pullRequest };
      break;
    case 'review':
      data = {
        actor,
        review: {
          id: 'rv-3',
          state: suffix === 'dismissed' ? 'dismissed' : 'approved',
          body: 'Ship it.',
          author,
          submittedAt: AT,
        },
        pullRequest,
      };
      break;
    case 'branch':
    case 'tag':
      data = { actor, container, name: family === 'tag' ? 'v1.4.0' : 'WEB-12-rate-limits', sha: '3f2c1a9' };
      break;
    case 'push':
      data = {
        actor,
        container,
        branch: 'main',
        before: '1a2b3c4',
        after: '3f2c1a9',
        created: false,
        deleted: false,
        commits: [
          {
            id: '3f2c1a9',
            message: 'WEB-12 Limit requests per client',
            url: `${url}/commit/3f2c1a9`,
            author: { name: 'Ada', email: 'ada@example.com' },
            timestamp: AT,
          },
        ],
        totalCommits: 1,
      };
      break;
    case 'pipeline':
      data = { actor, pipeline: run(suffix as never) };
      break;
    case 'build':
      data = { actor, build: run(suffix as never), pipelineId: 'run-6' };
      break;
    case 'sprint':
      data = {
        actor,
        sprint: {
          id: 's-5',
          name: 'Sprint 5',
          state: suffix === 'closed' ? 'closed' : 'active',
          goal: 'Public API hardening',
          startAt: AT,
          endAt: '2026-01-29T10:30:00.000Z',
        },
      };
      break;
    default:
      data = {
        actor,
        release: {
          id: 'rel-2',
          name: 'v1.4.0',
          released: suffix === 'released',
          container,
          releaseDate: '2026-02-01',
        },
      };
  }
  const normalised = { type, data, occurredAt: AT } as Normalised;
  const body = JSON.stringify(data);
  return canonicalEvent(
    {
      orgId,
      connectionId: conditions.connectionIds?.[0] ?? SAMPLE_CONNECTION_ID,
      body,
      receivedAt: at,
      correlationId: 'notification-rule-test',
    },
    conditions.providers?.[0] ?? SAMPLE_PROVIDER,
    'sample',
    normalised,
  );
}

/** A sample approval event: an agent's question, resolved as its type says. */
function sampleApproval(orgId: string, type: CanonicalType, at: Date): CanonicalEvent {
  const expiresAt = new Date(Date.parse(AT) + 86_400_000).toISOString();
  const decided = type === 'approval.decided';
  return approvalEvent(
    type as 'approval.decided',
    {
      id: 'apr_00000000000000000000000000',
      orgId,
      status: decided
        ? 'decided'
        : type === 'approval.expired'
          ? 'expired'
          : type === 'approval.cancelled'
            ? 'cancelled'
            : 'pending',
      question: 'Deploy release 1.4 to production?',
      options: [
        { id: 'approve', label: 'Approve' },
        { id: 'reject', label: 'Reject' },
      ],
      answerers: { userIds: [], teamIds: [], roles: ['admin'] },
      destination: null,
      context: { release: '1.4' },
      callbackEndpointId: null,
      requestedBy: { type: 'api_key', id: 'key_00000000000000000000000000', name: 'release agent' },
      createdAt: AT,
      expiresAt,
      decision: decided
        ? {
            option: 'approve',
            label: 'Approve',
            by: { userId: 'usr_00000000000000000000000000', name: 'Ada' },
            at: AT,
            via: 'api',
          }
        : null,
      cancelled:
        type === 'approval.cancelled'
          ? { by: { type: 'api_key', id: 'key_00000000000000000000000000', name: 'release agent' }, at: AT }
          : null,
      expiredAt: type === 'approval.expired' ? expiresAt : null,
    },
    at,
    'notification-rule-test',
  );
}
