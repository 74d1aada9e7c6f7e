import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { newId } from '../../shared/ids';
import type { Link } from '../../shared/sync/link';
import type { Mapping } from '../../shared/sync/mapping';
import { MappingInputSchema } from '../../shared/sync/mapping';

/** A valid canonical event, with whatever the test cares about overridden. */
export function aCanonicalEvent(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    id: newId('evt'),
    type: 'generic.build.finished',
    source: { provider: 'generic', connectionId: 'con_test' },
    tenantId: newId('org'),
    occurredAt: now,
    receivedAt: now,
    correlationId: 'corr-test',
    data: {},
    raw: { deliveryId: 'msg_test', sha256: 'ab' },
    ...overrides,
  };
}

/** A valid sync mapping (Jira project WEB as the tracker ↔ GitHub's acme/web), with mapping input overridden. */
export function aMapping(input: Record<string, unknown> = {}): Mapping {
  const parsed = MappingInputSchema.parse({
    tracker: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', project: 'WEB' },
    codeHost: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN332', repository: 'acme/web' },
    ...input,
  });
  return {
    ...parsed,
    tracker: { ...parsed.tracker, provider: 'jira' },
    codeHost: { ...parsed.codeHost, provider: 'github' },
    id: 'map_1',
    orgId: 'org_1',
    name: 'm',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
}

/** A link between WEB-1 and acme/web#1 with no fields yet, with whatever the test cares about overridden. */
export function aLink(overrides: Partial<Link> = {}): Link {
  return {
    id: newId('lnk'),
    orgId: newId('org'),
    mappingId: 'map_1',
    tracker: { connectionId: 'con_j', provider: 'jira', container: 'WEB', id: '1', key: 'WEB-1', url: '' },
    codeHost: {
      connectionId: 'con_g',
      provider: 'github',
      container: 'acme/web',
      id: 'acme/web#1',
      key: 'acme/web#1',
      url: '',
    },
    fields: {},
    pending: { tracker: [], codeHost: [] },
    comments: [],
    pullRequests: [],
    branch: null,
    history: [],
    lastSyncedAt: null,
    lagMs: null,
    lastError: null,
    ended: null,
    revision: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
